/* The split-brain rule on its own (split-brain.ts): confirm window, who yields, how long, a dead peer. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SPLIT_CONFIRM_MS, SplitBrainGuard, TIE_MS, YIELD_HOLD_MS } from '../../src/sync/split-brain.js';

const holds = (heldForMs: number) => ({ holds: true, heldForMs });
const none = { holds: false, heldForMs: 0 };
const peer = (heldForMs: number, receivedAt: number) => ({ holds: true, heldForMs, receivedAt });

/* Both nodes' guards fed the same overlap, each from its own side, every 200 ms like ALIVE. */
function overlap(ownStart: number, peerStart: number, untilMs: number, guards: { a: SplitBrainGuard; b: SplitBrainGuard }) {
  for (let now = Math.max(ownStart, peerStart); now <= untilMs; now += 200) {
    guards.a.judge(holds(now - ownStart), peer(now - peerStart, now), now);
    guards.b.judge(holds(now - peerStart), peer(now - ownStart, now), now);
  }
}

test('the node that took the VIPs last yields, after the confirm window and not before', () => {
  const guards = { a: new SplitBrainGuard('lower'), b: new SplitBrainGuard('higher') };
  overlap(0, 5_000, 5_000 + SPLIT_CONFIRM_MS - 200, guards);
  assert.equal(guards.b.status(6_300).splits, 0, 'within the confirm window');
  overlap(0, 5_000, 5_000 + SPLIT_CONFIRM_MS + 200, guards);
  assert.equal(guards.a.status(7_000).yielding, false, 'A held them first: it keeps them');
  assert.equal(guards.b.status(7_000).yielding, true);
  assert.equal(guards.a.status(7_000).splits, 1);
  assert.equal(guards.b.status(7_000).splits, 1);
  assert.equal(guards.a.checkReason(7_000), null);
  assert.match(guards.b.checkReason(7_000) ?? '', /took them last/);
});

test('on a tie the node whose sync address sorts higher yields, the other keeps them: exactly one yields', () => {
  const guards = { a: new SplitBrainGuard('lower'), b: new SplitBrainGuard('higher') };
  overlap(0, TIE_MS - 200, TIE_MS + SPLIT_CONFIRM_MS + 400, guards);
  assert.equal(guards.a.status(0).yielding, false);
  assert.equal(guards.b.status(0).yielding, true);
  assert.match(guards.b.status(0).lastVerdict ?? '', /a tie/);
});

test('the yield lasts while the peer holds the VIPs, at most YIELD_HOLD_MS; a dead peer (null) ends it at once', () => {
  const b = new SplitBrainGuard('higher');
  for (let now = 0; now <= SPLIT_CONFIRM_MS + 200; now += 200) b.judge(holds(now), peer(60_000 + now, now), now);
  const yieldedAt = b.status(0).yieldedAt!;
  /* keepalived took B's VIPs; A still holds them. */
  b.judge(none, peer(70_000, yieldedAt + 1_000), yieldedAt + 1_000);
  assert.equal(b.status(0).yielding, true);
  b.judge(none, peer(99_000, yieldedAt + YIELD_HOLD_MS - 1), yieldedAt + YIELD_HOLD_MS - 1);
  assert.equal(b.status(0).yielding, true, 'just before the hold ends');
  b.judge(none, peer(99_000, yieldedAt + YIELD_HOLD_MS), yieldedAt + YIELD_HOLD_MS);
  assert.equal(b.status(0).yielding, false, 'the hold has passed');

  const c = new SplitBrainGuard('higher');
  for (let now = 0; now <= SPLIT_CONFIRM_MS + 200; now += 200) c.judge(holds(now), peer(60_000 + now, now), now);
  assert.equal(c.status(0).yielding, true);
  c.judge(none, null, 3_000);
  assert.equal(c.status(0).yielding, false, 'the peer is dead: nobody else serves');
  assert.equal(c.checkReason(3_000), null);
});

test('a peer that claims nothing (an older build: empty ALIVE) never makes a split', () => {
  const g = new SplitBrainGuard('higher');
  for (let now = 0; now <= 10_000; now += 200) g.judge(holds(now), null, now);
  assert.equal(g.status(10_000).splits, 0);
});
