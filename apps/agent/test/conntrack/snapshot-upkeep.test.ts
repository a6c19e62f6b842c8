/*
 * listFlows' snapshot is kept up only while someone pages: the GC's sweeps
 * build it while pages are asked for, and drop it once none was for a while;
 * the first page after that waits for a fresh one (awaitFlowIndex) instead of
 * walking an old one. On a table too big to read for each page (over 8,192
 * entries), as at a million flows.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Dataplane } from '@sluice/dataplane';
import { ConntrackGc, awaitFlowIndex, listFlows } from '../../src/conntrack/index.js';
import { currentFlowIndex } from '../../src/conntrack/flow-index.js';
import { SERVICE, idsOf, loadWithService, writeEstablishedFlows } from './helpers.js';

const FLOWS = 20_000;
const WATCHED_MS = 300;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the page snapshot while nobody pages, and the first page after', () => {
  let dp: Dataplane;
  let gc: ConntrackGc;
  const now = process.hrtime.bigint();

  before(() => {
    const loaded = loadWithService({ services: [SERVICE] }, FLOWS * 2);
    dp = loaded.dp;
    const ids = idsOf(loaded.ids);
    writeEstablishedFlows(dp, ids, FLOWS, now);
    gc = new ConntrackGc(dp.maps, { pagesWatchedMs: WATCHED_MS });
  });
  after(() => dp?.close());

  it('a sweep with no page asked for builds no snapshot; the first page then waits for one and shows the flows', async () => {
    const report = await gc.sweep(now);
    assert.equal(report.flows, FLOWS, 'the sweep read every flow all the same');
    assert.equal(currentFlowIndex(dp.maps), undefined, 'no snapshot built');

    const counting = listFlows(dp.maps, {}, undefined, 10);
    assert.equal(counting.indexAgeMs, null, 'no snapshot to walk: the table is being counted');
    assert.equal(await awaitFlowIndex(dp.maps, 30_000), true, 'a snapshot came');
    const page = listFlows(dp.maps, {}, undefined, 10);
    assert.equal(page.items.length, 10);
    assert.equal(
      Object.values(page.stateCounts!).reduce((a, b) => a + b, 0),
      FLOWS,
    );
  });

  it('while pages are asked for, every sweep builds a newer snapshot', async () => {
    listFlows(dp.maps, {}, undefined, 10);
    const before = currentFlowIndex(dp.maps)!;
    await gc.sweep(now);
    const after = currentFlowIndex(dp.maps);
    assert.ok(after && after !== before && after.builtAt > before.builtAt, 'the sweep published its own snapshot');
    assert.equal(after.count, FLOWS);
  });

  it('once no page was asked for within pagesWatchedMs, a sweep drops the snapshot (and its memory); the next page builds one again', async () => {
    listFlows(dp.maps, {}, undefined, 10);
    assert.ok(currentFlowIndex(dp.maps));
    await sleep(WATCHED_MS + 100);
    await gc.sweep(now);
    assert.equal(currentFlowIndex(dp.maps), undefined, 'dropped: no page walks a snapshot older than the sweeps');
    assert.equal(listFlows(dp.maps, {}, undefined, 10).indexAgeMs, null);
    assert.equal(await awaitFlowIndex(dp.maps, 30_000), true);
    assert.equal(listFlows(dp.maps, {}, undefined, 10).items.length, 10);
  });

  it('awaitFlowIndex resolves at once when there is a snapshot, and false when none comes in time', async () => {
    assert.ok(currentFlowIndex(dp.maps));
    assert.equal(await awaitFlowIndex(dp.maps, 0), true);
    await sleep(WATCHED_MS + 100);
    await gc.sweep(now);
    assert.equal(currentFlowIndex(dp.maps), undefined);
    /* No page asked (so no build queued) and no time to build one: false, and the build it started still lands. */
    assert.equal(await awaitFlowIndex(dp.maps, 0), false);
    assert.equal(await awaitFlowIndex(dp.maps, 30_000), true);
  });
});
