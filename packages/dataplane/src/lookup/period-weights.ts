/*
 * The per-period counts of a weighted sequence: how many times each backend
 * appears in one period, which must fit in the table.
 */

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/* Dividing by the common divisor gives the shortest period with the same shares. */
function reduced(weights: readonly number[]): number[] {
  const divisor = weights.reduce(gcd, 0);
  return weights.map((w) => w / divisor);
}

/**
 * Appearances per period for each weight (positive integers), with the sum
 * (the period) at most `maxPeriod`; requires weights.length <= maxPeriod.
 *
 * Weights are first divided by their gcd. If the sum still exceeds maxPeriod,
 * the maxPeriod slots are shared out by largest remainder (Hamilton's method)
 * with a minimum of one slot, as a backend must keep some traffic:
 *  1. A backend whose quota is under one slot gets exactly one, and the
 *     others' quotas are recomputed over the slots left. Quotas grow with
 *     weight, so these backends are the lightest ones, taken in order.
 *  2. Every other backend gets the floor of its quota, and the slots still
 *     left go one each to the largest remainders (first in key order on a tie).
 * The period is then exactly maxPeriod (before a final division by the new
 * gcd), every backend is within one slot of its quota, and the only other
 * distortion is the fraction of a slot that step 1 gives each lightest
 * backend beyond its quota, taken from the rest in proportion. Over a
 * 65537-slot table a slot is 0.0015% of traffic, and 1% of the share of a
 * backend with 100 slots.
 */
export function fitWeightsToPeriod(weights: readonly number[], maxPeriod: number): number[] {
  if (weights.length === 0) return [];
  if (weights.length > maxPeriod) {
    throw new RangeError(`${weights.length} backends do not fit a period of ${maxPeriod}`);
  }
  const counts = reduced(weights);
  const total = counts.reduce((sum, w) => sum + w, 0);
  if (total <= maxPeriod) return counts;

  // Products stay far below 2^53 (65535 x maxPeriod), so this arithmetic is exact.
  const fitted = new Array<number>(counts.length).fill(0);
  const lightestFirst = counts.map((_, i) => i).sort((a, b) => counts[a]! - counts[b]! || a - b);
  let slotsLeft = maxPeriod;
  let weightLeft = total;
  let firstProportional = 0;
  for (const i of lightestFirst) {
    if (counts[i]! * slotsLeft >= weightLeft) break; // quota of one slot or more
    fitted[i] = 1;
    slotsLeft -= 1;
    weightLeft -= counts[i]!;
    firstProportional++;
  }

  // Quota of backend i: counts[i] * slotsLeft / weightLeft, kept as an exact
  // integer numerator: whole slots and a remainder out of weightLeft.
  const proportional = lightestFirst.slice(firstProportional);
  const remainders = new Map<number, number>();
  let unassigned = slotsLeft;
  for (const i of proportional) {
    const numerator = counts[i]! * slotsLeft;
    const remainder = numerator % weightLeft;
    fitted[i] = (numerator - remainder) / weightLeft;
    remainders.set(i, remainder);
    unassigned -= fitted[i]!;
  }
  // Fewer slots are unassigned than there are backends: each floor lost under one.
  proportional.sort((a, b) => remainders.get(b)! - remainders.get(a)! || a - b);
  for (let k = 0; k < unassigned; k++) fitted[proportional[k]!]!++;
  return reduced(fitted);
}
