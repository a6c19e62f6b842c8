/*
 * Least connections with real long-lived connections: the data plane's live
 * per-backend flow counts decide where a new connection goes. Each step
 * builds an uneven load with held line-protocol connections (port 9000) and
 * checks that every new connection goes to the backend with the fewest.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { AdminState } from '@sluice/api';
import { type Counts, type Hold, hold, stopAll } from '@sluice/testbed/client-traffic';
import { Harness } from './support/harness-control.ts';
import { type Network, setUpNetwork, tearDownNetwork } from './support/network.ts';
import { FAMILIES, byBackendName, config, service, serviceName, vipAddress } from './support/services.ts';

const LINE = 9000;
/* Longer than the test; every hold is stopped explicitly. */
const HOLD_SECONDS = 60;
const SETTLE_TIMEOUT_MS = 3_000;
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

const tally = (names: string[]): Counts => {
  const counts: Counts = {};
  for (const name of names) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
};

for (const family of FAMILIES) {
  test(`least-connections over ${family}: each new connection goes to the backend with the fewest open`, T, async () => {
    const { topology } = network;
    const spec = (states: Record<string, AdminState> = {}) => service(topology, { family, vip: 1, port: LINE, algorithm: 'least-connections', states });
    const name = serviceName(spec());
    const host = vipAddress(topology, family, 1);
    const active = async () => byBackendName(topology, family, LINE, (await harness.active())[name] ?? {});
    const holds: Hold[] = [];
    let reports: Awaited<ReturnType<typeof stopAll>> = [];
    /* Opened one after another, so each sees the counts its predecessors left. */
    const open = async (n: number) => {
      const chosen: string[] = [];
      for (let k = 0; k < n; k++) {
        const h = await hold(topology.client, host, LINE, { seconds: HOLD_SECONDS, intervalMs: 200 });
        holds.push(h);
        chosen.push(h.backend);
      }
      return tally(chosen);
    };
    /*
     * A poll, and rightly so: active flows are a per-backend counter in the
     * data plane's maps, which nothing announces a change of. Bounded by
     * SETTLE_TIMEOUT_MS; the assertion after it reports the last counts.
     */
    const settle = async (expected: Counts) => {
      const deadline = Date.now() + SETTLE_TIMEOUT_MS;
      let counts = await active();
      while (JSON.stringify(counts) !== JSON.stringify(expected) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        counts = await active();
      }
      assert.deepEqual(counts, expected, 'active flows per backend in the data plane');
    };

    try {
      // 1. Load be1 alone: drained backends take no new flows.
      await harness.apply(config(spec({ be2: 'drain', be3: 'drain' })));
      assert.deepEqual(await open(3), { be1: 3 });
      await settle({ be1: 3, be2: 0, be3: 0 });

      // 2. All ready: be1 holds 3, so the next 6 avoid it and even out be2 and be3.
      await harness.apply(config(spec()));
      const second = await open(6);
      console.log(`least-connections ${family}: with be1=3 be2=0 be3=0 open, 6 new went to ${JSON.stringify(second)}`);
      assert.deepEqual(second, { be2: 3, be3: 3 });
      await settle({ be1: 3, be2: 3, be3: 3 });

      // 3. Even load: the next 3 go one to each.
      assert.deepEqual(await open(3), { be1: 1, be2: 1, be3: 1 });
      await settle({ be1: 4, be2: 4, be3: 4 });

      // 4. Closing two on be2 makes it the least loaded again: it takes the next 2.
      const closing = holds.filter((h) => h.backend === 'be2').slice(0, 2);
      for (const report of await stopAll(closing)) assert.equal(report?.ok, true, JSON.stringify(report));
      await settle({ be1: 4, be2: 2, be3: 4 });
      const fourth = await open(2);
      console.log(`least-connections ${family}: with be1=4 be2=2 be3=4 open, 2 new went to ${JSON.stringify(fourth)}`);
      assert.deepEqual(fourth, { be2: 2 });
      await settle({ be1: 4, be2: 4, be3: 4 });
    } finally {
      reports = await stopAll(holds);
    }
    for (const report of reports) assert.equal(report?.ok, true, `a held connection failed: ${JSON.stringify(report)}`);
    await settle({ be1: 0, be2: 0, be3: 0 });
  });
}
