import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fitWeightsToPeriod } from '../../src/lookup/period-weights.js';
import { seededRandom } from './helpers.js';

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

test('weights that fit are only divided by their gcd', () => {
  assert.deepEqual(fitWeightsToPeriod([1, 2, 3], 65537), [1, 2, 3]);
  assert.deepEqual(fitWeightsToPeriod([4, 8, 12], 65537), [1, 2, 3]);
  assert.deepEqual(fitWeightsToPeriod([5, 5, 5], 65537), [1, 1, 1]);
  assert.deepEqual(fitWeightsToPeriod([65535], 65537), [1]);
  assert.deepEqual(fitWeightsToPeriod([], 65537), []);
});

/*
 * Largest remainder with a one-slot minimum: the period before the final gcd
 * division is exactly maxPeriod, and each count is under its quota
 * x = w * maxPeriod / total plus one, and over x * (1 - F / maxPeriod) minus one,
 * where F counts the backends raised to one slot (they take that much from the
 * others' quotas).
 */
test('scaled weights fill the period, stay at least 1 and stay within a slot of their quota', () => {
  const random = seededRandom(7);
  for (let round = 0; round < 500; round++) {
    const maxPeriod = [65537, 1009, 101][round % 3]!;
    const n = 1 + Math.floor(random() * Math.min(maxPeriod, 300));
    // Mix heavy and tiny weights so some quotas fall under one slot.
    const weights = Array.from({ length: n }, () => (random() < 0.2 ? 1 : 1 + Math.floor(random() * 65535)));
    const fitted = fitWeightsToPeriod(weights, maxPeriod);
    assert.ok(fitted.every((w) => Number.isInteger(w) && w >= 1));
    const total = weights.reduce((sum, w) => sum + w, 0);
    if (total / weights.reduce(gcd, 0) <= maxPeriod) continue;
    const fittedSum = fitted.reduce((sum, w) => sum + w, 0);
    const divisor = maxPeriod / fittedSum;
    assert.ok(Number.isInteger(divisor), `period ${fittedSum} does not divide ${maxPeriod}`);
    const counts = fitted.map((w) => w * divisor);
    const raised = counts.filter((c) => c === 1).length;
    weights.forEach((w, i) => {
      const quota = (w * maxPeriod) / total;
      assert.ok(counts[i]! < quota + 1, `quota ${quota}, got ${counts[i]}`);
      assert.ok(counts[i]! > quota * (1 - raised / maxPeriod) - 1, `quota ${quota}, got ${counts[i]}`);
    });
  }
});

test('backends with quotas under one slot get exactly one', () => {
  const fitted = fitWeightsToPeriod([65535, ...Array.from({ length: 999 }, () => 1)], 65537);
  assert.deepEqual(fitted, [65537 - 999, ...Array.from({ length: 999 }, () => 1)]);
});

test('more weights than the period allows is an error', () => {
  assert.throws(() => fitWeightsToPeriod([1, 1, 1], 2), RangeError);
});
