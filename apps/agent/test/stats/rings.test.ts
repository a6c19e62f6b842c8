// The history rings take their values' memory only for a point that is not
// all zeros, and read back exactly what was written either way.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateRing } from '../../src/stats/rate-ring.js';
import { ErrorRing } from '../../src/stats/error-ring.js';

const ZERO = { pps: 0, bps: 0, newFlowsPerSec: 0, activeFlows: 0 };

test('a rate ring reads back no point, zero points and stored points, before and after its values exist', () => {
  const ring = new RateRing(8);
  ring.write(0, undefined);
  ring.write(1, ZERO);
  assert.equal(ring.read(0, 10), undefined);
  assert.deepEqual(ring.read(1, 11), { t: 11, ...ZERO });
  assert.equal(ring.read(2, 12), undefined, 'never written');
  ring.write(2, { pps: 1.5, bps: 12, newFlowsPerSec: 0.5, activeFlows: 3 });
  ring.write(3, ZERO);
  ring.write(4, undefined);
  assert.equal(ring.read(0, 10), undefined);
  assert.deepEqual(ring.read(1, 11), { t: 11, ...ZERO }, 'a zero point from before the values existed');
  assert.deepEqual(ring.read(2, 12), { t: 12, pps: 1.5, bps: 12, newFlowsPerSec: 0.5, activeFlows: 3 });
  assert.deepEqual(ring.read(3, 13), { t: 13, ...ZERO });
  assert.equal(ring.read(4, 14), undefined);
  /* A slot reused by the next lap: a stored point, then no point. */
  ring.write(2, undefined);
  assert.equal(ring.read(2, 20), undefined);
});

test('an error ring keeps null apart from zero, before and after its values exist', () => {
  const ring = new ErrorRing(6);
  const zero = { dropsPerSec: 0, resetsPerSec: 0, failedHandshakesPerSec: 0, healthLatencyMs: null };
  const unobservable = { ...zero, resetsPerSec: null };
  ring.write(0, zero);
  ring.write(1, unobservable);
  ring.write(2, undefined);
  assert.deepEqual(ring.read(0), zero);
  assert.deepEqual(ring.read(1), unobservable);
  assert.equal(ring.read(2), undefined);
  ring.write(3, { dropsPerSec: 2, resetsPerSec: null, failedHandshakesPerSec: 0.5, healthLatencyMs: 1.25 });
  ring.write(4, zero);
  assert.deepEqual(ring.read(0), zero);
  assert.deepEqual(ring.read(1), unobservable);
  assert.deepEqual(ring.read(3), { dropsPerSec: 2, resetsPerSec: null, failedHandshakesPerSec: 0.5, healthLatencyMs: 1.25 });
  assert.deepEqual(ring.read(4), zero);
});

test('an error ring reads each slot the probe latency held then, nulls included, across laps', () => {
  const ring = new ErrorRing(4);
  const zero = { dropsPerSec: 0, resetsPerSec: 0, failedHandshakesPerSec: 0 };
  const latencies = [null, 1.5, 1.5, null, 2.25, 2.25, 3, 3];
  latencies.forEach((healthLatencyMs, slot) => ring.write(slot % 4, { ...zero, healthLatencyMs }));
  assert.deepEqual(
    [0, 1, 2, 3].map((slot) => ring.read(slot)?.healthLatencyMs),
    [2.25, 2.25, 3, 3],
  );
  ring.write(0, undefined);
  ring.write(1, { ...zero, dropsPerSec: 1, healthLatencyMs: null });
  assert.equal(ring.read(0), undefined, 'no point');
  assert.deepEqual(ring.read(1), { ...zero, dropsPerSec: 1, healthLatencyMs: null });
  assert.equal(ring.read(3)?.healthLatencyMs, 3, 'a later change leaves an older slot as it was');
});

test('a checked backend with no errors takes kilobytes for its probe latency, not a 57.6 kB ring', () => {
  const backends = 1000;
  const before = process.memoryUsage().arrayBuffers;
  const rings = Array.from({ length: backends }, () => new ErrorRing(3600));
  /* Two minutes of seconds, a check every 5 s. */
  for (let second = 0; second < 120; second++) {
    for (const [i, ring] of rings.entries()) {
      ring.write(second, { dropsPerSec: 0, resetsPerSec: 0, failedHandshakesPerSec: 0, healthLatencyMs: 0.5 + ((i + Math.floor(second / 5)) % 7) / 10 });
    }
  }
  const grown = process.memoryUsage().arrayBuffers - before;
  /* Slot kinds (900 B) and 24 changes of 8 B each, growing by doubling: about 1.2 MB; a full ring each would be 57.6 MB. */
  assert.ok(grown < 4 * 1024 * 1024, `${backends} rings took ${(grown / 1e6).toFixed(1)} MB of array buffers`);
  assert.equal(rings[0]!.read(119)?.healthLatencyMs, Math.fround(0.5 + (23 % 7) / 10));
});
