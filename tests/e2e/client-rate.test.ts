/*
 * A service's limit of new connections per client address per second
 * (issue 9, point 4), through the real data plane on the test network: one
 * client opening a burst of connections gets exactly the limit's worth in a
 * window, the rest are dropped and counted; another client at the same time
 * is not limited by the first one's count; the limited client's established
 * connection keeps exchanging lines; the next window lets it open again.
 *
 * What is guaranteed, and so asserted exactly: a client's window starts at
 * its first new connection after its previous window ended and lasts one
 * second; its first `clientRate` new connections in it pass. A burst sent at
 * once falls in one window. A dropped connection's SYN would be sent again
 * after the kernel's 1 s retransmission timeout, in a later window: the probe
 * gives up on it at REQUEST_TIMEOUT_MS, well before, so each dropped
 * connection is one dropped SYN.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Hold, hold, lineProbe, stopAll } from '@sluice/testbed/client-traffic';
import { Harness } from './support/harness-control.ts';
import { type Network, setUpNetwork, tearDownNetwork } from './support/network.ts';
import { config, service, vipAddress } from './support/services.ts';

const LINE = 9000;
const LIMIT = 5;
const BURST = 12;
const REQUEST_TIMEOUT_MS = 600;
/* Past any window started by what came before. */
const WINDOW_PASSED_MS = 1100;
const T = { timeout: 60_000 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let network: Network;
let harness: Harness;
let vip: string;

before(async () => {
  network = await setUpNetwork();
  harness = await Harness.start(network);
  vip = vipAddress(network.topology, 'ipv4', 1);
  await harness.apply(config({ ...service(network.topology, { family: 'ipv4', vip: 1, port: LINE, algorithm: 'round-robin' }), clientRate: LIMIT }));
});

after(async () => {
  await harness?.stop();
  await tearDownNetwork();
});

/** BURST connections at once from `source`: all in one window of its own. */
const burst = (source: string, count = BURST) =>
  lineProbe(network.topology.client, vip, LINE, { count, concurrency: count, source, requestTimeoutMs: REQUEST_TIMEOUT_MS });

test(
  `limit ${LIMIT}/s: of ${BURST} connections at once exactly ${LIMIT} succeed, another client is unaffected, an open connection goes on, drops are counted`,
  T,
  async () => {
    const [limited, other] = network.topology.client.extraIpv4;
    assert.ok(limited && other, 'the test network gives the client extra addresses');
    const holds: Hold[] = [];
    try {
      holds.push(await hold(network.topology.client, vip, LINE, { seconds: 20, intervalMs: 100, source: limited }));
      /* The held connection was the client's first of a window: let that window end. */
      await sleep(WINDOW_PASSED_MS);
      const before = await harness.counters();
      const heldBefore = holds[0]!.received();

      const [over, unaffected] = await Promise.all([burst(limited), burst(other, LIMIT)]);
      await holds[0]!.exchanged(3, 5000);
      const afterBurst = await harness.counters();
      const delta = (name: string) => (afterBurst[name] ?? 0) - (before[name] ?? 0);
      console.log(
        `client rate ${LIMIT}/s: ${limited} ${over.succeeded}/${BURST} (${JSON.stringify(over.failures)}), ` +
          `${other} ${unaffected.succeeded}/${LIMIT}; drop_client_rate +${delta('drop_client_rate')}; ` +
          `held connection ${holds[0]!.received() - heldBefore} more lines`,
      );

      assert.equal(over.succeeded, LIMIT, `${limited}: ${over.succeeded} of ${BURST} connections succeeded, ${LIMIT} expected`);
      assert.deepEqual(over.failures, { TIMEOUT: BURST - LIMIT }, 'the rest got no answer (their SYN was dropped)');
      assert.equal(unaffected.succeeded, LIMIT, `${other}: ${JSON.stringify(unaffected.failures)}`);
      assert.equal(delta('drop_client_rate'), BURST - LIMIT, 'one dropped SYN per refused connection');
      assert.equal(holds[0]!.alive(), true, 'the held connection is still up');
    } finally {
      const [report] = await stopAll(holds);
      if (report) {
        assert.equal(report.broken, false, `held connection broke: ${report.brokenReason}`);
        assert.equal(report.errors, 0, `held connection: ${report.errorSamples.join('; ')}`);
      }
    }
  },
);

test(`the next window: the same client gets ${LIMIT} again`, T, async () => {
  const [limited] = network.topology.client.extraIpv4;
  await sleep(WINDOW_PASSED_MS);
  const before = await harness.counters();
  const again = await burst(limited!);
  const afterBurst = await harness.counters();
  assert.equal(again.succeeded, LIMIT, `${again.succeeded} of ${BURST}: ${JSON.stringify(again.failures)}`);
  assert.equal((afterBurst.drop_client_rate ?? 0) - (before.drop_client_rate ?? 0), BURST - LIMIT);
});

test('limit 0 turns it off: the whole burst succeeds', T, async () => {
  const [limited] = network.topology.client.extraIpv4;
  await harness.apply(config(service(network.topology, { family: 'ipv4', vip: 1, port: LINE, algorithm: 'round-robin' })));
  const before = await harness.counters();
  const all = await burst(limited!);
  const afterBurst = await harness.counters();
  assert.equal(all.succeeded, BURST, JSON.stringify(all.failures));
  assert.equal((afterBurst.drop_client_rate ?? 0) - (before.drop_client_rate ?? 0), 0);
});
