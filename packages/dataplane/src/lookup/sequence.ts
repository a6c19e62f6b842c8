/*
 * Smooth weighted round-robin sequence (nginx's ngx_http_upstream_get_peer):
 * at every step each backend adds its weight to its current value, the one
 * with the largest current value is picked (the first in key order on a tie)
 * and the total weight is subtracted from it. Heavy backends are spread
 * through the period instead of bunched: weights 5:1:1 give a a b a c a a,
 * 1:2:3 give c b a c b c, and equal weights alternate strictly.
 *
 * The data plane picks slot `counter % length`; least-connections compares
 * LEAST_CONN_CANDIDATES consecutive slots from `hash % length`, which may run
 * past `length`. So the slots after the period continue the sequence, and the
 * period ends at least LEAST_CONN_CANDIDATES - 1 slots before the table does:
 * every such window holds valid ids in sequence order, with no wrap-around.
 */
import { type LookupBackend, sortedByKey, validateBackends } from './backends.js';
import { LEAST_CONN_CANDIDATES, LOOKUP_TABLE_SIZE, NO_BACKEND } from './constants.js';
import { fitWeightsToPeriod } from './period-weights.js';

export interface WeightedSequence {
  /** Backend ids; every slot is valid, the first `length` form one period. */
  table: Uint16Array;
  /** Slots in one period: the sum of the fitted weights, 0 for no backends. */
  length: number;
}

/*
 * Backends of equal weight, in key order. Their current values rise in step,
 * so the largest among them is always the least-picked one, first in key order
 * on a tie: the members take their turns in rotation. A group therefore needs
 * only how many full rotations it has made and whose turn is next, and a step
 * compares groups, not backends. Kept as parallel typed arrays: the step loop
 * reads them period x groups times.
 */
interface WeightGroups {
  count: number;
  weight: Float64Array;
  rotations: Float64Array;
  /* Members of group g are members[start[g] .. start[g + 1]), ascending backend indices. */
  start: Uint32Array;
  members: Uint32Array;
  /* Offset from start[g] of the member whose turn is next. */
  next: Uint32Array;
}

function groupByWeight(weights: readonly number[]): WeightGroups {
  const byWeight = new Map<number, number[]>();
  weights.forEach((weight, index) => {
    const members = byWeight.get(weight);
    if (members) members.push(index);
    else byWeight.set(weight, [index]);
  });
  const count = byWeight.size;
  const groups: WeightGroups = {
    count,
    weight: new Float64Array(count),
    rotations: new Float64Array(count),
    start: new Uint32Array(count + 1),
    members: new Uint32Array(weights.length),
    next: new Uint32Array(count),
  };
  let g = 0;
  let position = 0;
  for (const [weight, members] of byWeight) {
    groups.weight[g] = weight;
    groups.start[g] = position;
    groups.members.set(members, position);
    position += members.length;
    g++;
  }
  groups.start[count] = position;
  return groups;
}

/**
 * One period of the sequence. Exactly nginx's choice at every step: a
 * member's current value after `step` additions is
 * step * weight - period * (times picked), and its group's next member is the
 * group's largest, first in key order on a tie. Cost: period x distinct
 * weights, and a period of at most M has at most 361 distinct weights
 * (1 + 2 + ... + 362 > 65537), against period x N for nginx's loop.
 *
 * After `period` (the sum of the weights) steps every backend has been picked
 * exactly `weight` times and every current value is back to zero, so the
 * sequence repeats: checked here, since the tiling below relies on it.
 */
function writePeriod(table: Uint16Array, ids: Uint16Array, weights: readonly number[], period: number): void {
  const { count, weight, rotations, start, members, next } = groupByWeight(weights);
  for (let step = 1; step <= period; step++) {
    let best = 0;
    let bestValue = -Infinity;
    let bestIndex = Infinity;
    for (let g = 0; g < count; g++) {
      const value = step * weight[g]! - period * rotations[g]!;
      if (value < bestValue) continue;
      const index = members[start[g]! + next[g]!]!;
      if (value > bestValue || index < bestIndex) {
        best = g;
        bestValue = value;
        bestIndex = index;
      }
    }
    table[step - 1] = ids[bestIndex]!;
    if (++next[best]! === start[best + 1]! - start[best]!) {
      next[best] = 0;
      rotations[best]!++;
    }
  }
  for (let g = 0; g < count; g++) {
    if (rotations[g] !== weight[g] || next[g] !== 0) {
      throw new Error('smooth weighted round robin did not return to its start after one period');
    }
  }
}

/* Repeat the first `period` slots to the end of the table. */
function repeatPeriod(table: Uint16Array, period: number): void {
  for (let filled = period; filled < table.length; filled *= 2) {
    table.copyWithin(filled, 0, Math.min(filled, table.length - filled));
  }
}

/**
 * Smooth weighted round-robin table of `size` slots. Backends are ordered by
 * key, so input order never matters; with all weights 1 the period is N and
 * the order is key order. The period is at most size - (window - 1), where
 * `window` is how many consecutive slots the data plane may read from a start
 * below it. An empty list gives length 0 and NO_BACKEND slots.
 */
export function buildWeightedSequence(
  backends: readonly LookupBackend[],
  size: number = LOOKUP_TABLE_SIZE,
  window: number = LEAST_CONN_CANDIDATES,
): WeightedSequence {
  validateBackends(backends, size);
  if (!Number.isInteger(window) || window < 1 || window > size) {
    throw new RangeError(`a window of ${window} slots does not fit a table of ${size}`);
  }
  const table = new Uint16Array(size);
  if (backends.length === 0) return { table: table.fill(NO_BACKEND), length: 0 };

  const sorted = sortedByKey(backends);
  const ids = Uint16Array.from(sorted, (b) => b.id);
  const weights = fitWeightsToPeriod(
    sorted.map((b) => b.weight),
    size - (window - 1),
  );
  const period = weights.reduce((sum, w) => sum + w, 0);
  writePeriod(table, ids, weights, period);
  repeatPeriod(table, period);
  return { table, length: period };
}
