/*
 * Open 30 long connections through the real program (BPF_PROG_TEST_RUN),
 * close 10 (5 by FIN from both sides, 5 by RST): backend_active reads 20,
 * and the GC's recount, the connection table and endFlows agree.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TCP, buildPacket } from '@sluice/dataplane/test-packets';
import { ConntrackGc, activeByBackend, endFlows, listFlows } from '../../src/conntrack/index.js';
import type { Dataplane } from '@sluice/dataplane';
import { SECOND_NS, SERVICE, withServiceDataplane } from './helpers.js';

const CLIENT = '198.18.0.20';
const sum = (m: Map<number, number>) => [...m.values()].reduce((a, b) => a + b, 0);

describe('active flows through real packets', () => {
  let dp: Dataplane;
  let ids: { service: number; backends: number[] };
  withServiceDataplane((loaded) => ({ dp, ids } = loaded));

  const clientPacket = (port: number, tcpFlags: number) =>
    dp.testRun({ data: buildPacket({ src: CLIENT, dst: SERVICE.address, srcPort: port, dstPort: SERVICE.port, protocol: 'tcp', tcpFlags }) });
  /* The backend's reply, as it reaches the balancer (backends route through it in NAT mode). */
  const backendPacket = (port: number, backend: string, tcpFlags: number) =>
    dp.testRun({ data: buildPacket({ src: backend, dst: CLIENT, srcPort: 8080, dstPort: port, protocol: 'tcp', tcpFlags }) });
  const backendOf = (port: number) =>
    listFlows(dp.maps, { clientAddress: CLIENT }, undefined, 100, { maxIndexAgeMs: 0 }).items.find((f) => f.clientPort === port)!.backendAddress;

  const ports = Array.from({ length: 30 }, (_, i) => 40000 + i);

  it('counts 30 open connections', async () => {
    for (const port of ports) {
      clientPacket(port, TCP.SYN);
      clientPacket(port, TCP.ACK);
    }
    const active = activeByBackend(dp.maps);
    assert.equal(sum(active), 30);
    assert.deepEqual([...active.values()], [10, 10, 10], 'round-robin spreads them evenly');
  });

  it('counts 20 after closing 10', async () => {
    for (const port of ports.slice(0, 5)) {
      const backend = backendOf(port);
      clientPacket(port, TCP.FIN | TCP.ACK);
      backendPacket(port, backend, TCP.FIN | TCP.ACK);
      clientPacket(port, TCP.ACK);
    }
    for (const port of ports.slice(5, 10)) clientPacket(port, TCP.RST);
    assert.equal(sum(activeByBackend(dp.maps)), 20);

    const page = (state: 'closed' | 'established') => listFlows(dp.maps, { state }, undefined, 100, { maxIndexAgeMs: 0 }).items.length;
    assert.equal(page('closed'), 10);
    assert.equal(page('established'), 20);
  });

  it('keeps 20 through a sweep, then lets the closed flows go after their timeout', async () => {
    const gc = new ConntrackGc(dp.maps, {});
    const first = await gc.sweep();
    assert.equal(first.deletedFlows, 0);
    assert.deepEqual(first.corrections, [], 'the recount agrees with the data plane');
    assert.equal(sum(activeByBackend(dp.maps)), 20);

    const later = await gc.sweep(process.hrtime.bigint() + 11n * SECOND_NS);
    assert.equal(later.deletedFlows, 10);
    assert.equal([...dp.maps.flows.entries()].length, 20, 'one entry per flow, the closed ones gone');
    assert.deepEqual(later.activeTaken, {}, 'closed flows were already off the count');
    assert.equal(sum(activeByBackend(dp.maps)), 20);
  });

  it('ends the flows of one backend (drain timeout) and fixes its count', async () => {
    const target = ids.backends[0]!;
    const before = activeByBackend(dp.maps);
    const report = endFlows(dp.maps, (flow) => flow.backendId === target);
    assert.equal(report.ended, before.get(target));
    const afterEnd = activeByBackend(dp.maps);
    assert.equal(afterEnd.get(target), 0);
    assert.equal(sum(afterEnd), 20 - before.get(target)!);
    assert.equal(listFlows(dp.maps, { backendId: target }, undefined, 100, { maxIndexAgeMs: 0 }).items.length, 0);
    assert.deepEqual((await new ConntrackGc(dp.maps, {}).sweep()).corrections, []);
  });
});
