/* When a node drain is done (drain-progress.ts): flows ended, 3 s without forwarding since the drain began, or the timeout. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DRAIN_QUIET_MS, ForwardingWatch, drainPhase } from '../../src/operations/drain-progress.js';

const base = { drainingSince: 10_000, drainTimeoutMs: 60_000, activeFlows: 5, lastForwardedAt: 12_000 };

test('not draining is none; no open flow is flows-ended whatever else', () => {
  assert.equal(drainPhase({ ...base, drainingSince: null, now: 20_000 }), 'none');
  assert.equal(drainPhase({ ...base, activeFlows: 0, now: 10_001 }), 'flows-ended');
});

test('quiet once nothing was forwarded for 3 s, counted from the drain start at the earliest', () => {
  assert.equal(drainPhase({ ...base, now: 12_000 + DRAIN_QUIET_MS - 1 }), 'waiting');
  assert.equal(drainPhase({ ...base, now: 12_000 + DRAIN_QUIET_MS }), 'quiet');
  /* Traffic stopped long before the drain: the withdrawal's effect is not yet known. */
  assert.equal(drainPhase({ ...base, lastForwardedAt: 1_000, now: 10_000 + DRAIN_QUIET_MS - 1 }), 'waiting');
  assert.equal(drainPhase({ ...base, lastForwardedAt: 1_000, now: 10_000 + DRAIN_QUIET_MS }), 'quiet');
});

test('timeout when traffic keeps arriving past the deadline; none without a timeout', () => {
  const busy = { ...base, drainTimeoutMs: 5_000 };
  assert.equal(drainPhase({ ...busy, lastForwardedAt: 14_999, now: 15_000 }), 'timeout');
  assert.equal(drainPhase({ ...busy, lastForwardedAt: 14_999, now: 14_999 }), 'waiting');
  assert.equal(drainPhase({ ...base, drainTimeoutMs: null, lastForwardedAt: 99_999, now: 100_000 }), 'waiting');
});

test('the forwarding watch keeps the time the total last moved', () => {
  const watch = new ForwardingWatch();
  assert.equal(watch.observe(100, 1_000), 1_000);
  assert.equal(watch.observe(100, 2_000), 1_000);
  assert.equal(watch.observe(101, 3_000), 3_000);
  assert.equal(watch.observe(101, 9_000), 3_000);
});
