/*
 * UDP through a VIP, IPv4 and IPv6: request/replies from the client namespace
 * reach the backends and come back. The client's socket is connected to the
 * VIP, so the kernel accepts only replies whose source is VIP:port: every
 * answer counted proves the reply path restored the VIP.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { udp } from '@sluice/testbed/client-traffic';
import { Harness } from './support/harness-control.ts';
import { type Network, setUpNetwork, tearDownNetwork } from './support/network.ts';
import { FAMILIES, config, service, vipAddress } from './support/services.ts';
import { assertAllSucceeded, record, usedBackends } from './support/distribution.ts';

const UDP = 9001;
const T = { timeout: 60_000 };

let network: Network;
let harness: Harness;

before(async () => {
  network = await setUpNetwork();
  harness = await Harness.start(network);
  await harness.apply(config(...FAMILIES.map((family) => service(network.topology, { family, vip: 1, port: UDP, protocol: 'udp', algorithm: 'round-robin' }))));
});

after(async () => {
  await harness?.stop();
  await tearDownNetwork();
});

for (const family of FAMILIES) {
  test(`UDP over ${family}: 30 new flows (a new source port each) are answered by the backends in turn`, T, async () => {
    const report = await udp(network.topology.client, vipAddress(network.topology, family, 1), UDP, { count: 30, concurrency: 3, newSocket: true });
    const counts = record(`udp round-robin ${family}`, report);
    assertAllSucceeded(report, 30, `udp ${family}`);
    assert.deepEqual(counts, { be1: 10, be2: 10, be3: 10 });
  });

  test(`UDP over ${family}: 20 request/replies on one socket are one flow, answered by one backend`, T, async () => {
    const report = await udp(network.topology.client, vipAddress(network.topology, family, 1), UDP, { count: 20, concurrency: 1, newSocket: false });
    assertAllSucceeded(report, 20, `udp ${family} one socket`);
    assert.equal(usedBackends(report.byBackend).length, 1, JSON.stringify(report.byBackend));
  });
}
