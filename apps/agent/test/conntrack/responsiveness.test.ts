/*
 * With a big table the sweep and the snapshot builds run on the conntrack
 * worker thread: the agent's event loop (its API) keeps running meanwhile,
 * and a page never waits for a rebuild; so does ending a backend's flows. Checked by what happens, not by how
 * fast (stall times are measured in apps/agent/test/conntrack/flows-1m.bench.ts):
 * timers fire during the work, and a stale page is served from the old snapshot.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConntrackGc, listFlows, refreshFlowIndex, workerFor } from '../../src/conntrack/index.js';
import type { Dataplane } from '@sluice/dataplane';
import { SECOND_NS, SERVICE, activeOf, idsOf, loadWithService, eventLoopTicksDuring, writeEstablishedFlows } from './helpers.js';

const FLOWS = 200_000;
/* A synchronous scan of this table lets no timer fire; on the worker, dozens do. */
const MIN_TICKS = 3;

describe('event loop during conntrack work on 200k flows', () => {
  let dp: Dataplane;
  let ids: { service: number; backends: number[] };
  const now = process.hrtime.bigint();

  before(() => {
    const loaded = loadWithService({ services: [SERVICE] }, Math.ceil(FLOWS * 1.1));
    dp = loaded.dp;
    ids = idsOf(loaded.ids);
    writeEstablishedFlows(dp, ids, FLOWS, now);
    for (const id of ids.backends) dp.maps.backendActive.update(id, BigInt(Math.ceil(FLOWS / 3)));
  });
  after(() => dp?.close());

  it('serves an empty page at once when there is no snapshot yet, and builds one on the worker', async () => {
    const first = listFlows(dp.maps, {}, undefined, 10);
    assert.deepEqual(first, { items: [], nextCursor: null, scanned: 0, indexAgeMs: null, stateCounts: null }, 'the page did not wait for a build');
    const { ticks } = await eventLoopTicksDuring(() => refreshFlowIndex(dp.maps));
    assert.ok(ticks >= MIN_TICKS, `the event loop ran only ${ticks} timer ticks during an index build`);
    const page = listFlows(dp.maps, {}, undefined, 10);
    assert.equal(page.items.length, 10);
    assert.ok(page.nextCursor);
  });

  it('keeps ticking through a sweep that deletes nothing', async () => {
    const gc = new ConntrackGc(dp.maps, {});
    const { result: report, ticks } = await eventLoopTicksDuring(() => gc.sweep(now));
    assert.ok(ticks >= MIN_TICKS, `the event loop ran only ${ticks} timer ticks during the sweep`);
    assert.equal(report.flows, FLOWS);
    assert.equal(report.deletedFlows, 0);
    assert.equal(gc.lastReport, report);
  });

  it('walks the stale snapshot while a new one is built, never rebuilding on the page', async () => {
    const { result: page, ticks } = await eventLoopTicksDuring(async () => {
      const stale = listFlows(dp.maps, { backendId: ids.backends[1] }, undefined, 100, { maxIndexAgeMs: 0 });
      /* A snapshot from after the page (the refresh it asked for may have started already). */
      await refreshFlowIndex(dp.maps);
      return stale;
    });
    assert.equal(page.items.length, 100);
    assert.ok(page.indexAgeMs! > 0, 'served from the existing snapshot, not rebuilt for the page');
    assert.ok(ticks >= MIN_TICKS, `the event loop ran only ${ticks} timer ticks during the refresh`);
  });

  it("keeps ticking while one backend's flows are ended on the worker, and takes them off its count", async () => {
    const target = ids.backends[2]!;
    const activeBefore = activeOf(dp, target);
    const { result: report, ticks } = await eventLoopTicksDuring(() => workerFor(dp.maps).endFlows([target]));
    assert.ok(ticks >= MIN_TICKS, `the event loop ran only ${ticks} timer ticks while ending flows`);
    assert.equal(report.ended, Math.floor(FLOWS / 3), 'every third flow was on it');
    assert.equal(activeOf(dp, target), activeBefore - report.ended);
    /* The worker published a fresh snapshot: a page shows none of them at once. */
    assert.equal(listFlows(dp.maps, { backendId: target }, undefined, 10).items.length, 0);
    assert.equal(listFlows(dp.maps, { backendId: ids.backends[0] }, undefined, 10).items.length, 10);
  });

  it('keeps ticking through a sweep that deletes every flow, and takes them off the counts', async () => {
    const gc = new ConntrackGc(dp.maps, {});
    const { result: report, ticks } = await eventLoopTicksDuring(() => gc.sweep(now + 1000n * SECOND_NS));
    assert.ok(ticks >= MIN_TICKS, `the event loop ran only ${ticks} timer ticks during the sweep`);
    assert.equal(report.deletedFlows, FLOWS - Math.floor(FLOWS / 3));
    for (const id of ids.backends) assert.equal(activeOf(dp, id), 0);
    /* The sweep published its (empty) snapshot: pages stop showing the deleted flows at once. */
    assert.equal(listFlows(dp.maps, {}, undefined, 10).items.length, 0);
  });
});
