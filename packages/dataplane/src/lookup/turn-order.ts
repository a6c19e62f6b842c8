/*
 * The order in which backends take Maglev turns, weighted as in Katran's
 * MaglevV2.
 *
 * Katran runs rounds: in each round every backend, in index order, adds its
 * weight to a credit and, once the credit reaches the largest weight W, spends
 * W and takes one turn. So backend i takes its k-th turn in round
 * ceil(k * W / weight_i): the heaviest backend every round, one half as heavy
 * every other round. Shares follow the weights, and with equal weights this is
 * the plain turn order of the Maglev paper (every backend once per round).
 *
 * Katran visits every backend in every round: (M * W / totalWeight) * N steps,
 * about 64 million for 1000 backends when one weighs 65535 and the rest 1.
 * Here each backend lists only its own turns, and a counting sort by round
 * (backend index breaking ties, as Katran's inner loop does) merges them:
 * the same order in O(M + N) steps and no comparisons. The table builder
 * takes this order only for such uneven weights; for equal or close ones it
 * runs the rounds itself, which is cheaper (maglev.ts, maglevTurnPlan).
 *
 * The turns of a 64K-slot table take 256 KB, and a fresh typed array that
 * size costs more than filling it (new pages from the kernel each time, about
 * 0.4 ms of a 2 ms build): a table build passes `reuse` and gets the order in
 * buffers kept for the next build, valid until then.
 */

/** Buffers kept between builds (reuse): they only grow. */
const kept = { rounds: new Uint32Array(0), order: new Uint32Array(0) };

function buffer(name: keyof typeof kept, length: number, reuse: boolean): Uint32Array {
  if (!reuse) return new Uint32Array(length);
  if (kept[name].length < length) kept[name] = new Uint32Array(length);
  return kept[name];
}

/**
 * Backend indices (into `weights`) in turn order, at least `turnsNeeded` of
 * them: only the first `turnsNeeded` are meaningful, the rest finish the
 * last round. With `reuse`, the array is a kept buffer, possibly longer,
 * overwritten by the next call with `reuse`.
 */
export function maglevTurnOrder(weights: Uint32Array, turnsNeeded: number, reuse = false): Uint32Array {
  const count = weights.length;
  if (count === 0) throw new RangeError('turns need at least one backend');
  let maxWeight = 0;
  let totalWeight = 0;
  for (let i = 0; i < count; i++) {
    maxWeight = Math.max(maxWeight, weights[i]!);
    totalWeight += weights[i]!;
  }

  /*
   * Rounds to run: through round R backend i has had floor(R * w_i / W)
   * turns, more than R * w_i / W - 1, so all of them together more than
   * R * total / W - N. Asking that to reach turnsNeeded gives R below.
   *
   * Round and turn counts are quotients of integers far below 2^53 (about
   * 2^32 for a full table), so they are exact in doubles: a quotient that is
   * not an integer lies at least 1/w away from one, far more than the rounding
   * error of one division.
   */
  const rounds = Math.ceil(((turnsNeeded + count) * maxWeight) / totalWeight);

  const turnsOf = new Uint32Array(count);
  let totalTurns = 0;
  for (let i = 0; i < count; i++) {
    turnsOf[i] = Math.floor((rounds * weights[i]!) / maxWeight);
    totalTurns += turnsOf[i]!;
  }

  // Each turn's round, backend after backend, and how many turns each round has.
  const roundOfTurn = buffer('rounds', totalTurns, reuse);
  const turnsInRound = new Uint32Array(rounds + 1);
  for (let i = 0, t = 0; i < count; i++) t = writeRounds(roundOfTurn, t, turnsOf[i]!, weights[i]!, maxWeight, turnsInRound);

  // turnsInRound becomes the position of each round's next turn.
  let position = 0;
  for (let r = 1; r <= rounds; r++) {
    const inRound = turnsInRound[r]!;
    turnsInRound[r] = position;
    position += inRound;
  }

  // Backends in index order, so within a round the lower index comes first.
  const order = buffer('order', totalTurns, reuse);
  for (let i = 0, t = 0; i < count; i++) {
    for (const end = t + turnsOf[i]!; t < end; t++) order[turnsInRound[roundOfTurn[t]!]!++] = i;
  }
  return order;
}

/*
 * Rounds of one backend's turns 1..turns, ceil(k * W / w), from `at` in
 * `rounds`; counts them in turnsInRound; returns the next free index.
 * Integer steps of the quotient and remainder of k * W / w instead of a
 * division per turn: a reweight rebuilds the table while the change waits.
 */
function writeRounds(rounds: Uint32Array, at: number, turns: number, w: number, maxWeight: number, turnsInRound: Uint32Array): number {
  const quotientStep = Math.floor(maxWeight / w);
  const remainderStep = maxWeight % w;
  let quotient = 0;
  let remainder = 0;
  for (let k = 1; k <= turns; k++) {
    quotient += quotientStep;
    remainder += remainderStep;
    if (remainder >= w) {
      remainder -= w;
      quotient++;
    }
    const round = remainder > 0 ? quotient + 1 : quotient;
    rounds[at++] = round;
    turnsInRound[round]!++;
  }
  return at;
}
