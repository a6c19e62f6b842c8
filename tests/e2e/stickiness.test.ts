/*
 * An established TCP connection keeps its backend, and keeps working, through
 * every change an operator makes: reweight, algorithm switches, draining
 * another backend and draining its own. Meanwhile new connections to the
 * same service keep succeeding and follow the new settings at once.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { AdminState, Algorithm } from '@sluice/api';
import { type Hold, hold, lineProbe, stopAll } from '@sluice/testbed/client-traffic';
import { Harness } from './support/harness-control.ts';
import { type Network, setUpNetwork, tearDownNetwork } from './support/network.ts';
import { FAMILIES, config, service, vipAddress } from './support/services.ts';
import { assertAllSucceeded, record, usedBackends } from './support/distribution.ts';

const LINE = 9000;
/* Longer than the test; the hold is stopped explicitly. */
const HOLD_SECONDS = 60;
const HOLD_INTERVAL_MS = 100;
/* A multiple of every sequence period used here (3 and 6), so sequence counts come out exact. */
const PROBES = 60;
const T = { timeout: 90_000 };

let network: Network;
let harness: Harness;

before(async () => {
  network = await setUpNetwork();
  harness = await Harness.start(network);
});

after(async () => {
  await harness?.stop();
  await tearDownNetwork();
});

for (const family of FAMILIES) {
  test(`over ${family}: a held connection survives reweight, algorithm switches and drains`, T, async () => {
    const { topology } = network;
    const host = vipAddress(topology, family, 1);
    const apply = (algorithm: Algorithm, weights: Record<string, number>, states: Record<string, AdminState> = {}) =>
      harness.apply(config(service(topology, { family, vip: 1, port: LINE, algorithm, weights, states })));
    let held: Hold | undefined;
    /* New connections through the same service: all must succeed, and the held one must still be up. */
    const probe = async (step: string) => {
      /* The held connection exchanges a few lines under each new setting first. */
      await held!.exchanged(5);
      const report = await lineProbe(topology.client, host, LINE, { count: PROBES, concurrency: 3 });
      const counts = record(`${step} ${family} (held on ${held!.backend})`, report);
      assertAllSucceeded(report, PROBES, `new connections after ${step}`);
      assert.ok(held!.alive(), `the held connection ended after ${step}`);
      return counts;
    };

    await apply('weighted-round-robin', {});
    try {
      held = await hold(topology.client, host, LINE, { seconds: HOLD_SECONDS, intervalMs: HOLD_INTERVAL_MS });
      const own = held.backend;
      const [other, third] = ['be1', 'be2', 'be3'].filter((name) => name !== own) as [string, string];
      const weights = { [own]: 1, [other]: 3, [third]: 2 };

      await apply('weighted-round-robin', weights);
      assert.deepEqual(await probe('reweight 1:3:2'), { [own]: 10, [other]: 30, [third]: 20 });

      await apply('round-robin', weights);
      assert.deepEqual(await probe('switch to round-robin'), { be1: 20, be2: 20, be3: 20 });

      await apply('maglev', weights);
      await probe('switch to maglev');

      await apply('least-connections', weights);
      await probe('switch to least-connections');

      await apply('least-connections', weights, { [other]: 'drain' });
      const drainedOther = await probe(`drain ${other}`);
      assert.equal(drainedOther[other] ?? 0, 0, `${other} is draining but took new connections`);

      await apply('least-connections', weights, { [own]: 'drain' });
      const drainedOwn = await probe(`drain ${own}`);
      assert.equal(drainedOwn[own] ?? 0, 0, `${own} is draining but took new connections`);
      assert.deepEqual(usedBackends(drainedOwn), [other, third].sort());

      /* A few more round trips on the held connection while its backend drains. */
      await held.exchanged(10);
      const report = await held.stop();
      console.log(
        `held connection ${family}: backend=${report.backend} sent=${report.sent} received=${report.received} errors=${report.errors} broken=${report.broken}`,
      );
      assert.equal(report.backend, own);
      assert.equal(report.broken, false, `broken: ${report.brokenReason}`);
      assert.equal(report.errors, 0, report.errorSamples.join('; '));
      assert.equal(report.received, report.sent);
      assert.ok(report.sent >= 40, `only ${report.sent} round trips on the held connection`);
    } finally {
      if (held) await stopAll([held]);
    }
  });
}
