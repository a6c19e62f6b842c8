/* ConntrackGc.sweep on real maps: which flows go, and backend_active after. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConntrackGc } from '../../src/conntrack/index.js';
import { DUTY_CYCLE_FACTOR } from '../../src/conntrack/conntrack-gc.js';
import type { Dataplane } from '@sluice/dataplane';
import { type FlowSpec, SECOND_NS, SERVICE, STATE, activeOf, flowEntries, keyOf, loadWithService, writeFlows, withServiceDataplane } from './helpers.js';
import { listFlows } from '../../src/conntrack/index.js';

describe('ConntrackGc.sweep', () => {
  let dp: Dataplane;
  let ids: { service: number; backends: number[] };
  withServiceDataplane((loaded) => ({ dp, ids } = loaded), { emptyEachTest: true });

  const now = 10_000n * SECOND_NS;
  const ago = (seconds: number) => now - BigInt(seconds) * SECOND_NS;
  let port = 10000;
  const flow = (over: Partial<FlowSpec>): FlowSpec => ({
    client: '198.18.0.10',
    clientPort: port++,
    vip: SERVICE.address,
    vipPort: 80,
    protocol: 'tcp',
    backend: '198.18.1.1',
    backendPort: 8080,
    serviceId: ids.service,
    backendId: ids.backends[0]!,
    tcpState: STATE.established,
    createdNs: ago(5000),
    forwardLastSeenNs: ago(1),
    replyLastSeenNs: ago(1),
    ...over,
  });
  const present = (spec: FlowSpec) => dp.maps.flows.lookup(keyOf(spec)) !== undefined;

  it('deletes flows idle past their state timeout in both directions', async () => {
    const gc = new ConntrackGc(dp.maps, {});
    const flows = {
      establishedIdle: flow({ forwardLastSeenNs: ago(1000), replyLastSeenNs: ago(1000) }),
      establishedReplyActive: flow({ forwardLastSeenNs: ago(1000), replyLastSeenNs: ago(2) }),
      establishedForwardActive: flow({ forwardLastSeenNs: ago(2), replyLastSeenNs: ago(1000) }),
      establishedQuiet: flow({ forwardLastSeenNs: ago(800), replyLastSeenNs: ago(800) }),
      closedIdle: flow({ tcpState: STATE.closed, forwardLastSeenNs: ago(11), replyLastSeenNs: ago(11) }),
      closedRecent: flow({ tcpState: STATE.closed, forwardLastSeenNs: ago(5), replyLastSeenNs: ago(5) }),
      synSentIdle: flow({ tcpState: STATE.synSent, forwardLastSeenNs: ago(31), replyLastSeenNs: ago(31) }),
      finWaitRecent: flow({ tcpState: STATE.finWait, forwardLastSeenNs: ago(50), replyLastSeenNs: ago(50) }),
      finWaitIdle: flow({ tcpState: STATE.finWait, forwardLastSeenNs: ago(61), replyLastSeenNs: ago(70) }),
      udpIdle: flow({ protocol: 'udp', vipPort: 80, tcpState: STATE.none, forwardLastSeenNs: ago(61), replyLastSeenNs: ago(61) }),
      udpRecent: flow({ protocol: 'udp', tcpState: STATE.none, forwardLastSeenNs: ago(59), replyLastSeenNs: ago(61) }),
      noReplyIdle: flow({ forwardLastSeenNs: ago(1000), replyLastSeenNs: null }),
    };
    writeFlows(dp, Object.values(flows));
    /* The data plane counted every flow it opened and took off the closed ones. */
    const open = Object.values(flows).filter((f) => f.tcpState !== STATE.closed).length;
    dp.maps.backendActive.update(ids.backends[0]!, BigInt(open));

    const report = await gc.sweep(now);

    const gone = ['establishedIdle', 'closedIdle', 'synSentIdle', 'finWaitIdle', 'udpIdle', 'noReplyIdle'];
    for (const [name, spec] of Object.entries(flows)) {
      const expectGone = gone.includes(name);
      assert.equal(present(spec), !expectGone, `${name}: ${expectGone ? 'deleted' : 'kept'}`);
    }
    assert.equal(report.deletedFlows, 6);
    assert.deepEqual(report.deletedByState, { none: 1, 'syn-sent': 1, established: 2, 'fin-wait': 1, closed: 1 });
    /* Five open flows went (the closed one was already off the count). */
    assert.deepEqual(report.activeTaken, { [ids.backends[0]!]: 5 });
    assert.equal(activeOf(dp, ids.backends[0]!), open - 5);
    assert.deepEqual(report.corrections, []);
  });

  it('sweeps, counts and lists the half-open table like the flow table', async () => {
    const gc = new ConntrackGc(dp.maps, {});
    const synIdle = flow({ tcpState: STATE.synSent, forwardLastSeenNs: ago(31), replyLastSeenNs: ago(31) });
    const synRecent = flow({ tcpState: STATE.synSent, forwardLastSeenNs: ago(2), replyLastSeenNs: ago(2) });
    const established = flow({});
    writeFlows(dp, [established]);
    dp.maps.halfOpenFlows.updateMany([...flowEntries(synIdle), ...flowEntries(synRecent)]);
    /* The data plane counted all three when they opened; one count too many is drift the recount must fix. */
    dp.maps.backendActive.update(ids.backends[0]!, 4n);

    const report = await gc.sweep(now);

    assert.equal(report.flows, 3, 'flows seen in both tables');
    assert.equal(report.deletedFlows, 1);
    assert.deepEqual(report.deletedByState, { none: 0, 'syn-sent': 1, established: 0, 'fin-wait': 0, closed: 0 });
    assert.equal(dp.maps.halfOpenFlows.lookup(keyOf(synIdle)), undefined, 'the idle half-open flow is gone');
    assert.ok(dp.maps.halfOpenFlows.lookup(keyOf(synRecent)), 'the recent half-open flow stays');
    assert.equal(activeOf(dp, ids.backends[0]!), 2, 'open flows in both tables, exactly');
    const page = listFlows(dp.maps, {}, undefined, 10, { nowNs: now });
    assert.deepEqual(
      page.items.map((item) => `${item.clientPort} ${item.state}`).sort(),
      [`${established.clientPort} established`, `${synRecent.clientPort} syn-sent`].sort(),
    );
  });

  it('counts handshakes that never completed by backend: nat SYNs never answered, bypass handshakes the client never completed', async () => {
    const gc = new ConntrackGc(dp.maps, {});
    const [b0, b1] = [ids.backends[0]!, ids.backends[1]!];
    const idleSyn = (over: Partial<FlowSpec>) => flow({ tcpState: STATE.synSent, forwardLastSeenNs: ago(31), replyLastSeenNs: null, ...over });
    const halfOpen = {
      /* nat, no reply at all: the backend never answered. 3 on b0, 1 on b1. */
      unanswered: [idleSyn({}), idleSyn({}), idleSyn({}), idleSyn({ backendId: b1, backend: '198.18.1.2' })],
      /* nat, the SYN-ACK came back but the client never ACKed: not the backend's failure. */
      answeredNotAcked: [idleSyn({ replyLastSeenNs: ago(40) })],
      /* dsr (1) and gue (3): the SYN-ACK bypasses the balancer; the client's ACK never came. 2 on b1. */
      bypass: [idleSyn({ mode: 1, backendId: b1, backend: '198.18.1.2' }), idleSyn({ mode: 3, backendId: b1, backend: '198.18.1.2' })],
      /* Still within the syn_sent timeout: kept, nothing counted. */
      recent: [idleSyn({ forwardLastSeenNs: ago(2) })],
    };
    const flowTable = {
      /* Refused with a reset (counted as a reset by the data plane), idle: deleted, not a handshake failure. */
      reset: flow({ tcpState: STATE.closed, forwardLastSeenNs: ago(11), replyLastSeenNs: ago(11) }),
      establishedIdle: flow({ forwardLastSeenNs: ago(1000), replyLastSeenNs: null }),
      udpIdle: flow({ protocol: 'udp', tcpState: STATE.none, forwardLastSeenNs: ago(61), replyLastSeenNs: null }),
    };
    dp.maps.halfOpenFlows.updateMany(Object.values(halfOpen).flat().flatMap(flowEntries));
    writeFlows(dp, Object.values(flowTable));

    const report = await gc.sweep(now);

    assert.equal(report.deletedFlows, 4 + 1 + 2 + 3, 'every idle flow went');
    assert.deepEqual(report.handshakeFailures, { [b0]: { unanswered: 3, incomplete: 0 }, [b1]: { unanswered: 1, incomplete: 2 } });
    /* A second sweep finds nothing new; the ledger keeps the totals, and forgets an id no longer in use. */
    assert.deepEqual((await gc.sweep(now)).handshakeFailures, {});
    dp.maps.halfOpenFlows.updateMany(flowEntries(idleSyn({})));
    assert.deepEqual((await gc.sweep(now)).handshakeFailures, { [b0]: { unanswered: 1, incomplete: 0 } });
    assert.deepEqual(gc.handshakeFailures.of(b0), { unanswered: 4, incomplete: 0 });
    assert.deepEqual(gc.handshakeFailures.of(b1), { unanswered: 1, incomplete: 2 });
    gc.handshakeFailures.keepOnly(new Set([b1]));
    assert.deepEqual(gc.handshakeFailures.of(b0), { unanswered: 0, incomplete: 0 });
    assert.deepEqual(gc.handshakeFailures.of(b1), { unanswered: 1, incomplete: 2 });
  });

  it('honours configured timeouts', async () => {
    const gc = new ConntrackGc(dp.maps, { timeouts: { tcpEstablishedMs: 60_000 } });
    const idle = flow({ forwardLastSeenNs: ago(61), replyLastSeenNs: ago(61) });
    const busy = flow({ forwardLastSeenNs: ago(59), replyLastSeenNs: ago(61) });
    writeFlows(dp, [idle, busy]);
    await gc.sweep(now);
    assert.equal(present(idle), false);
    assert.equal(present(busy), true);
  });

  it('start() hands its timeouts to the data plane (expiry_settings, in ns): one source for both', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const gc = new ConntrackGc(dp.maps, { timeouts: { udpMs: 45_000, tcpClosedMs: 2_500 } });
    dp.maps.expirySettings.update(0, { tcp_syn_sent_ns: 0n, tcp_established_ns: 0n, tcp_fin_wait_ns: 0n, tcp_closed_ns: 0n, udp_ns: 0n });
    gc.start();
    gc.stop();
    assert.deepEqual(dp.maps.expirySettings.lookup(0), {
      tcp_syn_sent_ns: 30n * SECOND_NS,
      tcp_established_ns: 900n * SECOND_NS,
      tcp_fin_wait_ns: 60n * SECOND_NS,
      tcp_closed_ns: 2_500_000_000n,
      udp_ns: 45n * SECOND_NS,
    });
  });

  it('recounts backend_active from the table and corrects drift, never below zero', async () => {
    const gc = new ConntrackGc(dp.maps, {});
    const [b0, b1, b2] = ids.backends as [number, number, number];
    writeFlows(dp, [
      flow({ backendId: b0 }),
      flow({ backendId: b0 }),
      flow({ backendId: b0, tcpState: STATE.closed }),
      flow({ backendId: b1, backend: '198.18.1.2' }),
    ]);
    /* Drift as LRU eviction leaves it (too high) and as a lost increment would (too low). */
    dp.maps.backendActive.update(b0, 50n);
    dp.maps.backendActive.update(b1, 0n);
    dp.maps.backendActive.update(b2, 7n);
    const report = await gc.sweep(now);
    assert.equal(activeOf(dp, b0), 2);
    assert.equal(activeOf(dp, b1), 1);
    assert.equal(activeOf(dp, b2), 0);
    assert.deepEqual(
      report.corrections.sort((a, b) => a.backendId - b.backendId),
      [
        { backendId: b0, from: 50, to: 2 },
        { backendId: b1, from: 0, to: 1 },
        { backendId: b2, from: 7, to: 0 },
      ].sort((a, b) => a.backendId - b.backendId),
    );
    assert.deepEqual((await gc.sweep(now)).corrections, [], 'a second sweep finds nothing to fix');
  });

  it('does not count a flow whose backend id now belongs to another service', async () => {
    const gc = new ConntrackGc(dp.maps, {});
    writeFlows(dp, [flow({ serviceId: ids.service + 1 })]);
    await gc.sweep(now);
    assert.equal(activeOf(dp, ids.backends[0]!), 0);
  });

  it('fails a sweep of maps whose data plane was closed, naming the map', async () => {
    const other = loadWithService({ services: [SERVICE] }).dp;
    const gc = new ConntrackGc(other.maps, {});
    assert.equal((await gc.sweep(now)).flows, 0);
    other.close();
    await assert.rejects(gc.sweep(now), /map "flows".*closed/);
  });

  it('runs periodically once started and stops', async (t) => {
    /* The test drives the pauses; each sweep itself runs for real on the worker. */
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const intervalMs = 1000;
    const reports: number[] = [];
    let swept: (() => void) | undefined;
    const nextSweep = () => new Promise<void>((resolve) => (swept = resolve));
    const gc = new ConntrackGc(dp.maps, { intervalMs, onSweep: (r) => (reports.push(r.durationMs), swept?.()) });
    gc.start();
    for (let i = 1; i <= 3; i++) {
      const done = nextSweep();
      /* The pause after a sweep: intervalMs, or DUTY_CYCLE_FACTOR times that sweep's duration if longer. */
      t.mock.timers.tick(Math.max(intervalMs, DUTY_CYCLE_FACTOR * (reports.at(-1) ?? 0)));
      await done;
      assert.equal(reports.length, i, `sweep ${i} after its pause`);
    }
    gc.stop();
    t.mock.timers.tick(100 * intervalMs);
    /* Sweeps run one after another: once this one is done, any the timer had started would be too. */
    await gc.sweep(now);
    assert.equal(reports.length, 3, 'no sweep after stop()');
  });
});
