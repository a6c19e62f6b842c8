import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildWeightedSequence, LEAST_CONN_CANDIDATES, LOOKUP_TABLE_SIZE, NO_BACKEND, type LookupBackend } from '../../src/lookup/index.js';
import { fitWeightsToPeriod } from '../../src/lookup/period-weights.js';
import { countSlots, inKeyOrder, makeBackends, oneTwoThree, seededRandom, shuffled } from './helpers.js';

const M = LOOKUP_TABLE_SIZE;

/* nginx's smooth weighted round robin, step by step over every backend, for `steps` steps. */
function nginxSequence(backends: readonly LookupBackend[], weights: readonly number[], steps: number): number[] {
  const total = weights.reduce((sum, w) => sum + w, 0);
  const current = weights.map(() => 0);
  const picks: number[] = [];
  for (let step = 0; step < steps; step++) {
    let best = 0;
    for (let i = 0; i < weights.length; i++) {
      current[i]! += weights[i]!;
      if (current[i]! > current[best]!) best = i;
    }
    current[best]! -= total;
    picks.push(backends[best]!.id);
  }
  return picks;
}

describe('weighted sequence', () => {
  test('equal weights alternate strictly, in key order', () => {
    for (const weight of [1, 7, 65535]) {
      const backends = makeBackends(3, () => weight);
      const ids = inKeyOrder(backends).map((b) => b.id);
      const { table, length } = buildWeightedSequence(shuffled(backends, seededRandom(weight)), M);
      assert.equal(length, 3);
      for (let s = 0; s < M; s++) assert.equal(table[s], ids[s % 3], `slot ${s}`);
    }
  });

  test('weights 1:2:3 give 1, 2 and 3 picks in every period of 6, interleaved', () => {
    const backends = makeBackends(3, oneTwoThree);
    const [a, b, c] = inKeyOrder(backends).map((x) => x.id);
    const { table, length } = buildWeightedSequence(backends, M);
    assert.equal(length, 6);
    assert.deepEqual([...table.subarray(0, 6)], [c, b, a, c, b, c]);
    // Any 6 consecutive slots, also those running past `length`, are one period.
    for (let start = 0; start + 6 <= M; start += 997) {
      const counts = countSlots(table.subarray(start, start + 6));
      assert.deepEqual([counts.get(a!), counts.get(b!), counts.get(c!)], [1, 2, 3], `slots ${start}..${start + 5}`);
    }
  });

  test('a backend never comes twice in a row while another has the same weight', () => {
    const random = seededRandom(3);
    const cases = [[3, 3, 2, 2, 1], [5, 5, 1], [1, 1, 4], [10, 10, 10, 1], Array.from({ length: 30 }, () => 1 + Math.floor(random() * 4))];
    for (const weights of cases) {
      const backends = makeBackends(weights.length, (i) => weights[i]!);
      const weightOf = new Map(backends.map((b) => [b.id, b.weight]));
      const sharesWeight = (id: number) => backends.some((b) => b.id !== id && b.weight === weightOf.get(id));
      const { table } = buildWeightedSequence(backends, M);
      for (let s = 1; s < M; s++) {
        if (table[s] === table[s - 1]) {
          assert.ok(!sharesWeight(table[s]!), `weights ${weights}: backend ${table[s]} twice at slot ${s}`);
        }
      }
    }
  });

  test("is nginx's smooth weighted round robin, continued past the period", () => {
    const random = seededRandom(4);
    for (let round = 0; round < 20; round++) {
      const n = 1 + Math.floor(random() * 12);
      const maxWeight = [2, 10, 1000][round % 3]!;
      const backends = makeBackends(n, () => 1 + Math.floor(random() * maxWeight));
      const size = 4099;
      const sorted = inKeyOrder(backends);
      const weights = fitWeightsToPeriod(
        sorted.map((b) => b.weight),
        size - (LEAST_CONN_CANDIDATES - 1),
      );
      const { table, length } = buildWeightedSequence(backends, size);
      assert.equal(
        length,
        weights.reduce((sum, w) => sum + w, 0),
      );
      assert.deepEqual([...table], nginxSequence(sorted, weights, size), `weights ${sorted.map((b) => b.weight)}`);
    }
  });

  test('a period is the weight sum after dividing by the gcd', () => {
    const backends = makeBackends(3, (i) => [400, 600, 1000][i]!);
    const { table, length } = buildWeightedSequence(backends, M);
    assert.equal(length, 10);
    const counts = countSlots(table, length);
    assert.deepEqual(
      backends.map((b) => counts.get(b.id)),
      [2, 3, 5],
    );
  });

  /*
   * Weights summing past M are scaled down so the period fits (largest
   * remainder, one slot minimum; see period-weights.ts). Every backend with
   * 100 or more slots keeps its share within 1% of its weight share (measured
   * worst over these cases: 0.48%), and every backend is within one slot of
   * its quota plus what the one-slot minimum takes (measured worst 1.4e-5 of
   * traffic for random weights, 2.3e-4 for one heavy backend beside 999
   * raised ones). The weight-7 backend has a quota of 3.1 slots and gets 3: no
   * slot count is within 1% of that.
   */
  test('weights summing past M are scaled to fit, keeping shares', () => {
    const random = seededRandom(5);
    const cases = [
      [65535, 50000, 30000, 1000, 7],
      [65535, 65534, 65533],
      Array.from({ length: 100 }, () => 1 + Math.floor(random() * 65535)),
      Array.from({ length: 1000 }, () => 1 + Math.floor(random() * 65535)),
      [65535, ...Array.from({ length: 999 }, () => 1)],
    ];
    for (const weights of cases) {
      const backends = makeBackends(weights.length, (i) => weights[i]!);
      const totalWeight = weights.reduce((sum, w) => sum + w, 0);
      assert.ok(totalWeight > M);
      const { table, length } = buildWeightedSequence(backends, M);
      assert.ok(length <= M && length > 0, `length ${length}`);
      const counts = countSlots(table, length);
      const raised = [...counts.values()].filter((c) => c === 1).length;
      for (const { id, weight } of backends) {
        const quota = (length * weight) / totalWeight;
        const count = counts.get(id) ?? 0;
        const context = `N=${weights.length} weight ${weight}: ${count} slots for a quota of ${quota.toFixed(2)}`;
        assert.ok(count >= 1, context);
        assert.ok(Math.abs(count - quota) < 1 + (quota * raised) / length, context);
        if (quota >= 100) assert.ok(Math.abs(count - quota) <= 0.01 * quota, context);
      }
    }
  });

  test('the table does not depend on input order', () => {
    const random = seededRandom(6);
    const backends = makeBackends(50, () => 1 + Math.floor(random() * 20));
    const reference = buildWeightedSequence(backends, M);
    for (let round = 0; round < 3; round++) {
      assert.deepEqual(buildWeightedSequence(shuffled(backends, random), M), reference);
    }
  });

  test('an empty backend list gives length 0 and NO_BACKEND everywhere', () => {
    const { table, length } = buildWeightedSequence([], M);
    assert.equal(length, 0);
    assert.equal(table.length, M);
    assert.ok(table.every((id) => id === NO_BACKEND));
  });

  test('a least-connections window from any start below length stays in the table', () => {
    // 40004 + 25531 = 65535 fits M, but not M - (LEAST_CONN_CANDIDATES - 1):
    // scaled to 40003 + 25531 (coprime, so the period stays that long).
    const backends = makeBackends(2, (i) => [40004, 25531][i]!);
    const { length } = buildWeightedSequence(backends, M);
    assert.equal(length, M - (LEAST_CONN_CANDIDATES - 1));
    assert.equal(buildWeightedSequence(backends, M, 1).length, 65535);
    const random = seededRandom(8);
    for (let round = 0; round < 20; round++) {
      const many = makeBackends(1 + Math.floor(random() * 200), () => 1 + Math.floor(random() * 65535));
      const sequence = buildWeightedSequence(many, M);
      assert.ok(sequence.length - 1 + LEAST_CONN_CANDIDATES <= M, `length ${sequence.length}`);
    }
  });

  test('as many backends as the period allows: every backend once', () => {
    const size = 101;
    const n = size - (LEAST_CONN_CANDIDATES - 1);
    const backends = makeBackends(n, oneTwoThree);
    const ids = inKeyOrder(backends).map((b) => b.id);
    const { table, length } = buildWeightedSequence(backends, size);
    assert.equal(length, n);
    assert.deepEqual([...table], [...ids, ...ids.slice(0, size - n)]);
    assert.throws(() => buildWeightedSequence(makeBackends(n + 1), size), RangeError);
  });
});
