/*
 * Every algorithm, over IPv4 and IPv6: HTTP requests on new TCP connections
 * from the client namespace through a VIP (client -> XDP on the LB -> three
 * backends) all succeed and spread over the backends as the algorithm promises.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { http } from '@sluice/testbed/client-traffic';
import { Harness } from './support/harness-control.ts';
import { type Network, setUpNetwork, tearDownNetwork } from './support/network.ts';
import { type Algorithm, type Family, FAMILIES, config, service, vipAddress } from './support/services.ts';
import { assertAllSucceeded, assertWithin, record, usedBackends, BACKEND_NAMES } from './support/distribution.ts';

const HTTP = 8080;
const CONCURRENCY = 6;
const T = { timeout: 120_000 };
/* One VIP per algorithm, all live at once. */
const VIP: Record<Algorithm, number> = {
  'round-robin': 1,
  'weighted-round-robin': 2,
  'least-connections': 3,
  'source-hash': 4,
  maglev: 5,
};
const WEIGHTS = { be1: 1, be2: 2, be3: 3 };
/* Sampling noise of 3000 hashed flows is about ±2.6% per backend; the promise is ±15%. */
const TOLERANCE = 0.15;

let network: Network;
let harness: Harness | undefined;
const vip = (family: Family, algorithm: Algorithm) => vipAddress(network.topology, family, VIP[algorithm]);

before(async () => {
  network = await setUpNetwork();
  harness = await Harness.start(network);
  const services = FAMILIES.flatMap((family) =>
    (Object.keys(VIP) as Algorithm[]).map((algorithm) =>
      service(network.topology, {
        family,
        vip: VIP[algorithm],
        port: HTTP,
        algorithm,
        weights: algorithm === 'weighted-round-robin' ? WEIGHTS : undefined,
      }),
    ),
  );
  await harness.apply(config(...services));
});

after(async () => {
  await harness?.stop();
  await tearDownNetwork();
});

for (const family of FAMILIES) {
  describe(`over ${family}`, () => {
    test('round-robin: 300 new connections split exactly 100/100/100', T, async () => {
      const report = await http(network.topology.client, vip(family, 'round-robin'), HTTP, { count: 300, concurrency: 4 });
      const counts = record(`round-robin ${family}`, report);
      assertAllSucceeded(report, 300, 'round-robin');
      assert.deepEqual(counts, { be1: 100, be2: 100, be3: 100 });
    });

    test('weighted-round-robin 1:2:3: 3000 new connections within ±15% of 500/1000/1500', T, async () => {
      const report = await http(network.topology.client, vip(family, 'weighted-round-robin'), HTTP, { count: 3000, concurrency: CONCURRENCY });
      const counts = record(`weighted-round-robin 1:2:3 ${family}`, report);
      assertAllSucceeded(report, 3000, 'weighted-round-robin');
      assertWithin(counts, { be1: 500, be2: 1000, be3: 1500 }, TOLERANCE, 'weighted-round-robin');
    });

    test('least-connections: 300 new connections all succeed and use every backend', T, async () => {
      const report = await http(network.topology.client, vip(family, 'least-connections'), HTTP, { count: 300, concurrency: 4 });
      const counts = record(`least-connections ${family}`, report);
      assertAllSucceeded(report, 300, 'least-connections');
      assert.deepEqual(usedBackends(counts), BACKEND_NAMES);
    });

    test('source-hash: each of 10 client addresses sticks to one backend; several are used', T, async () => {
      const sources = network.topology.client[family === 'ipv4' ? 'extraIpv4' : 'extraIpv6'];
      assert.equal(sources.length, 10);
      const reports = await Promise.all(
        sources.map((source) => http(network.topology.client, vip(family, 'source-hash'), HTTP, { count: 30, concurrency: 3, source })),
      );
      const chosen: Record<string, string[]> = {};
      const total: Record<string, number> = {};
      reports.forEach((report, k) => {
        assertAllSucceeded(report, 30, `source-hash from ${sources[k]}`);
        chosen[sources[k]!] = usedBackends(report.byBackend);
        for (const [name, n] of Object.entries(report.byBackend)) total[name] = (total[name] ?? 0) + n;
      });
      record(`source-hash ${family} (10 sources x 30)`, { ...reports[0]!, byBackend: total });
      console.log(
        `source-hash ${family} backend per source: ${Object.entries(chosen)
          .map(([s, b]) => `${s}=${b.join('+')}`)
          .join(' ')}`,
      );
      for (const [source, backends] of Object.entries(chosen))
        assert.equal(backends.length, 1, `${source} was answered by ${backends.join(', ')}: one backend expected`);
      assert.ok(usedBackends(total).length > 1, `all 10 sources went to ${usedBackends(total).join(', ')}`);
    });

    test('maglev: 3000 new connections use every backend, each within ±15% of 1/3', T, async () => {
      const report = await http(network.topology.client, vip(family, 'maglev'), HTTP, { count: 3000, concurrency: CONCURRENCY });
      const counts = record(`maglev ${family}`, report);
      assertAllSucceeded(report, 3000, 'maglev');
      assert.deepEqual(usedBackends(counts), BACKEND_NAMES);
      assertWithin(counts, { be1: 1000, be2: 1000, be3: 1000 }, TOLERANCE, 'maglev');
    });
  });
}
