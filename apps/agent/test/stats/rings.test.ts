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
