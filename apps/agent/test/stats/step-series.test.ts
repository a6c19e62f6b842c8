/*
 * StepSeries keeps a held value as its changes: every slot of the window
 * reads what a plain per-slot array would, over many laps, while it keeps
 * no more changes than the window can show.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StepSeries } from '../../src/stats/step-series.js';

/* Deterministic pseudo-random source (xorshift32), so a failure replays. */
function xorshift(seed: number) {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

test('null before the first value; a value holds until the next change; undefined keeps it', () => {
  const series = new StepSeries(10);
  assert.equal(series.at(0), null, 'nothing pushed');
  series.push(null);
  series.push(2.5);
  series.push(undefined);
  series.push(2.5);
  series.push(null);
  assert.deepEqual(
    [4, 3, 2, 1, 0].map((age) => series.at(age)),
    [null, 2.5, 2.5, 2.5, null],
  );
  assert.equal(series.at(5), null, 'older than anything pushed');
  assert.equal(series.changes, 2, 'null at the start is no change; the repeated 2.5 is none either');
});

test('every slot of the window reads as a per-slot array would, over 20 laps, and the changes kept stay within the window', () => {
  const capacity = 60;
  const random = xorshift(0x5eed);
  const series = new StepSeries(capacity);
  const model: (number | null)[] = [];
  let held: number | null = null;
  for (let slot = 0; slot < capacity * 20; slot++) {
    const roll = random();
    const reading: number | null | undefined = roll < 0.6 ? held : roll < 0.7 ? undefined : roll < 0.8 ? null : Math.fround(random() * 100);
    series.push(reading);
    if (reading !== undefined) held = reading;
    model.push(held);
    const window = Math.min(model.length, capacity);
    for (let age = 0; age < window; age++) assert.equal(series.at(age), model[model.length - 1 - age], `slot ${slot}, age ${age}`);
    assert.ok(series.changes <= capacity, `${series.changes} changes kept for a window of ${capacity}`);
  }
});

test('a value that changes every slot keeps at most the window of changes', () => {
  const series = new StepSeries(100);
  for (let slot = 0; slot < 1000; slot++) series.push(slot);
  assert.equal(series.changes, 100);
  assert.equal(series.at(0), 999);
  assert.equal(series.at(99), 900);
});
