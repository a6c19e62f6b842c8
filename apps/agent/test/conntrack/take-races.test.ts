/*
 * The GC sweep and end-flows against a packet that lands between a scan's
 * read and its delete (issue 9, point 6b): a hook rewrites the entry there,
 * as the data plane would, and the live flow must survive with exact active
 * counts. Before the take-and-recheck (take-flow.ts), the sweep's second
 * look and end-flows' batch delete left that window open and the live
 * flow was deleted.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ActiveRecounter } from '../../src/conntrack/active-counts.js';
import { endFlows } from '../../src/conntrack/end-flows.js';
import { sweepFlows } from '../../src/conntrack/sweep.js';
import { TimeoutTable, resolveTimeouts } from '../../src/conntrack/timeouts.js';
import { KEY } from '../../src/conntrack/flow-bytes.js';
import type { Dataplane } from '@sluice/dataplane';
import { type FlowSpec, SECOND_NS, SERVICE, STATE, activeOf, flowEntries, keyOf, writeFlows, withServiceDataplane } from './helpers.js';

describe('taking flows out races packets', () => {
  let dp: Dataplane;
  let ids: { service: number; backends: number[] };
  withServiceDataplane((loaded) => ({ dp, ids } = loaded), { emptyEachTest: true });

  const now = 10_000n * SECOND_NS;
  const ago = (seconds: number) => now - BigInt(seconds) * SECOND_NS;
  let port = 20000;
  const flow = (over: Partial<FlowSpec>): FlowSpec => ({
    client: '198.18.0.20',
    clientPort: port++,
    vip: SERVICE.address,
    vipPort: 80,
    protocol: 'udp',
    backend: '198.18.1.1',
    backendPort: 8080,
    serviceId: ids.service,
    backendId: ids.backends[0]!,
    tcpState: STATE.none,
    createdNs: ago(500),
    forwardLastSeenNs: ago(500),
    replyLastSeenNs: null,
    ...over,
  });
  const sweep = (hooks: Parameters<typeof sweepFlows>[4]) => sweepFlows(dp.maps, new TimeoutTable(resolveTimeouts()), new ActiveRecounter(), now, hooks);
  /* What the program does to backend_active when it opens a flow on `backendId` or moves one off it. */
  const bump = (backendId: number, by: bigint) => dp.maps.backendActive.update(backendId, (dp.maps.backendActive.lookup(backendId) ?? 0n) + by);
  const clientPortOf = (key: Buffer) => key.readUInt16BE(KEY.srcPort);

  it('sweep: an idle UDP flow refreshed by a datagram between the scan and the delete survives, counted once', () => {
    const b0 = ids.backends[0]!;
    const idle = flow({});
    const other = flow({});
    writeFlows(dp, [idle, other]);
    dp.maps.backendActive.update(b0, 2n);
    const report = sweep({
      beforeTake(_table, key) {
        if (clientPortOf(key) !== idle.clientPort) return;
        /* A datagram: the program stamps last_seen (the flow is live again). */
        const [, value] = flowEntries({ ...idle, forwardLastSeenNs: now })[0]!;
        dp.maps.flows.update(keyOf(idle), value);
      },
    }).report;
    assert.ok(dp.maps.flows.lookup(keyOf(idle)), 'the refreshed flow is still there');
    assert.equal(dp.maps.flows.lookup(keyOf(other)), undefined, 'the idle one went');
    assert.equal(report.deletedFlows, 1);
    assert.equal(report.revived, 1);
    assert.equal(activeOf(dp, b0), 1, 'one open flow left, counted once');
  });

  it('sweep: a flow re-steered by the data plane between the scan and the delete survives on its new backend', () => {
    const [b0, b1] = ids.backends as [number, number];
    const idle = flow({});
    writeFlows(dp, [idle]);
    dp.maps.backendActive.update(b0, 1n);
    sweep({
      beforeTake() {
        /* The program expired it and started it anew on b1: -1 on b0, +1 on b1. */
        const [key, value] = flowEntries({ ...idle, backend: '198.18.1.2', backendId: b1, createdNs: now, forwardLastSeenNs: now })[0]!;
        dp.maps.flows.update(key, value);
        bump(b0, -1n);
        bump(b1, 1n);
      },
    });
    assert.equal(dp.maps.flows.lookup(keyOf(idle))?.backend_id, b1);
    assert.equal(activeOf(dp, b0), 0);
    assert.equal(activeOf(dp, b1), 1);
  });

  it('sweep: a live flow taken out while a packet starts it anew is ended once (the new one stands)', () => {
    const [b0, b1] = ids.backends as [number, number];
    const idle = flow({});
    writeFlows(dp, [idle]);
    dp.maps.backendActive.update(b0, 1n);
    const report = sweep({
      beforeTake() {
        /* A datagram refreshes it just before the take ... */
        dp.maps.flows.update(keyOf(idle), flowEntries({ ...idle, forwardLastSeenNs: now })[0]![1]);
      },
      afterTake() {
        /* ... and the next one, finding no entry while it is out, starts a flow on b1. */
        const [key, value] = flowEntries({ ...idle, backend: '198.18.1.2', backendId: b1, createdNs: now, forwardLastSeenNs: now })[0]!;
        dp.maps.flows.update(key, value);
        bump(b1, 1n);
      },
    }).report;
    assert.equal(dp.maps.flows.lookup(keyOf(idle))?.backend_id, b1, 'the new flow stands');
    assert.equal(activeOf(dp, b0), 0, 'the flow taken out is counted off its backend');
    assert.equal(activeOf(dp, b1), 1);
    assert.deepEqual(report.activeTaken, { [b0]: 1 });
    assert.equal(report.deletedFlows, 1, 'the flow taken out is ended');
    assert.equal(report.revived, 0);
  });

  it('sweep: an entry the data plane expired first is not counted again', () => {
    const b0 = ids.backends[0]!;
    const idle = flow({});
    writeFlows(dp, [idle]);
    dp.maps.backendActive.update(b0, 5n);
    const report = sweep({
      beforeTake() {
        /* The program's expire_flow: its delete won, so it counted the flow off. */
        dp.maps.flows.delete(keyOf(idle));
        bump(b0, -1n);
      },
    }).report;
    assert.equal(report.deletedFlows, 0);
    assert.deepEqual(report.activeTaken, {});
    /* 5 - 1 by the program; the recount leaves a moving count alone. */
    assert.equal(activeOf(dp, b0), 4);
  });

  it('end-flows: a flow re-steered off the removed backend between the scan and the delete survives', () => {
    const [b0, b1] = ids.backends as [number, number];
    const moving = flow({ forwardLastSeenNs: ago(1) });
    const staying = flow({ forwardLastSeenNs: ago(1) });
    writeFlows(dp, [moving, staying]);
    dp.maps.backendActive.update(b0, 2n);
    const report = endFlows(dp.maps, (f) => f.backendId === b0, undefined, {
      beforeTake(_table, key) {
        if (clientPortOf(key) !== moving.clientPort) return;
        const [k, value] = flowEntries({ ...moving, backend: '198.18.1.2', backendId: b1, forwardLastSeenNs: now })[0]!;
        dp.maps.flows.update(k, value);
        bump(b0, -1n);
        bump(b1, 1n);
      },
    });
    assert.equal(dp.maps.flows.lookup(keyOf(moving))?.backend_id, b1, 'the re-steered flow lives on');
    assert.equal(dp.maps.flows.lookup(keyOf(staying)), undefined, 'the flow still on the removed backend ended');
    assert.equal(report.ended, 1);
    assert.deepEqual(report.activeTaken, { [b0]: 1 });
    assert.equal(activeOf(dp, b0), 0);
    assert.equal(activeOf(dp, b1), 1);
  });
});
