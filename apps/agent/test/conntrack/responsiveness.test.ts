/*
 * With a big table the sweep and the snapshot builds run on the conntrack
 * worker thread: the agent's event loop (its API) keeps ticking throughout,
 * and a page never waits for a rebuild. A correctness property, not a
 * benchmark: the bound is loose on purpose (a synchronous sweep of this
 * table stalls the loop for over a second).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConntrackGc, listFlows, refreshFlowIndex } from '../../src/conntrack/index.js';
import type { Dataplane } from '../../src/dataplane/index.js';
import { SECOND_NS, SERVICE, STATE, activeOf, idsOf, loadWithService, maxEventLoopGap, writeBulkFlows } from './helpers.js';

const FLOWS = 200_000;
const MAX_GAP_MS = 250;

describe('event loop during conntrack work on 200k flows', () => {
	let dp: Dataplane;
	let ids: { service: number; backends: number[] };
	const now = process.hrtime.bigint();

	before(() => {
		const loaded = loadWithService({ services: [SERVICE] }, Math.ceil(FLOWS * 2.2));
		dp = loaded.dp;
		ids = idsOf(loaded.ids);
		writeBulkFlows(dp, {
			count: FLOWS,
			vip: SERVICE.address,
			vipPort: SERVICE.port,
			serviceId: ids.service,
			backends: SERVICE.backends.map((b, i) => ({ ...b, id: ids.backends[i]! })),
			stateOf: () => STATE.established,
			createdNs: now - 100n * SECOND_NS,
			lastSeenNs: now - SECOND_NS,
		});
		for (const id of ids.backends) dp.maps.backendActive.update(id, BigInt(Math.ceil(FLOWS / 3)));
	});
	after(() => dp?.close());

	it('serves an empty page at once when there is no snapshot yet, and builds one on the worker', async () => {
		const started = performance.now();
		const first = listFlows(dp.maps, {}, undefined, 10);
		assert.ok(performance.now() - started < MAX_GAP_MS, 'the page did not wait for a build');
		assert.deepEqual(first, { items: [], nextCursor: null, scanned: 0, indexAgeMs: null });
		const { maxGapMs } = await maxEventLoopGap(() => refreshFlowIndex(dp.maps));
		assert.ok(maxGapMs < MAX_GAP_MS, `event loop stalled ${maxGapMs.toFixed(0)} ms during an index build`);
		const page = listFlows(dp.maps, {}, undefined, 10);
		assert.equal(page.items.length, 10);
		assert.ok(page.nextCursor);
	});

	it('keeps ticking through a sweep that deletes nothing', async () => {
		const gc = new ConntrackGc(dp.maps, {});
		const { result: report, maxGapMs } = await maxEventLoopGap(() => gc.sweep(now));
		assert.ok(maxGapMs < MAX_GAP_MS, `event loop stalled ${maxGapMs.toFixed(0)} ms during the sweep`);
		assert.equal(report.flows, FLOWS);
		assert.equal(report.deletedFlows, 0);
		assert.equal(gc.lastReport, report);
	});

	it('walks the stale snapshot while a new one is built, never rebuilding on the page', async () => {
		const { result, maxGapMs } = await maxEventLoopGap(async () => {
			const started = performance.now();
			const page = listFlows(dp.maps, { backendId: ids.backends[1] }, undefined, 100, { maxIndexAgeMs: 0 });
			const pageMs = performance.now() - started;
			/* A snapshot from after the page (the refresh it asked for may have started already). */
			await refreshFlowIndex(dp.maps);
			return { page, pageMs };
		});
		assert.ok(result.pageMs < MAX_GAP_MS, `a stale page took ${result.pageMs.toFixed(0)} ms`);
		assert.equal(result.page.items.length, 100);
		assert.ok(result.page.indexAgeMs! > 0);
		assert.ok(maxGapMs < MAX_GAP_MS, `event loop stalled ${maxGapMs.toFixed(0)} ms`);
	});

	it('keeps ticking through a sweep that deletes every flow, and takes them off the counts', async () => {
		const gc = new ConntrackGc(dp.maps, {});
		const { result: report, maxGapMs } = await maxEventLoopGap(() => gc.sweep(now + 1000n * SECOND_NS));
		assert.ok(maxGapMs < MAX_GAP_MS, `event loop stalled ${maxGapMs.toFixed(0)} ms during the sweep`);
		assert.equal(report.deletedFlows, FLOWS);
		assert.equal(report.deletedReplies, FLOWS);
		for (const id of ids.backends) assert.equal(activeOf(dp, id), 0);
		/* The sweep published its (empty) snapshot: pages stop showing the deleted flows at once. */
		assert.equal(listFlows(dp.maps, {}, undefined, 10).items.length, 0);
	});
});
