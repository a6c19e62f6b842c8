/*
 * Nothing is sent to a backend that was never checked (issue 9): under steady
 * new-connection traffic, a backend added on a port where nothing listens is
 * pending, then down, and never takes a connection: zero requests are
 * refused, and the API's header count equals its rows at every poll. A
 * backend added on a listening port takes connections after its first
 * passing check. The service keeps the default check (2 s, rise 2, fall 3),
 * the settings under which the issue saw 17-39 of 200 connections refused.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FIRST_CHECK_SPREAD_MS } from '@sluice/agent/health';
import { startServer, stateDir, stopServer } from '@sluice/testbed/servers';
import { type BulkReport, http } from '@sluice/testbed/client-traffic';
import { AgentProcess, sluiceJson, sluiceOk } from '@sluice/testbed/agent-process';
import { apiClient, sleep, waitFor, waitForEligible } from '@sluice/testbed/api-client';
import { PREFIX, type Network, setUpNetwork, tearDownNetwork } from './support/network.ts';

const VIP = '198.18.100.1';
const HTTP = 8080;
const SERVICE = `${VIP}:${HTTP}/tcp`;
/* Traffic in bounded batches; never past MAX_TRAFFIC_MS. */
const BATCH = 50;
const MAX_BATCHES = 200;
const MAX_TRAFFIC_MS = 60_000;
/* Traffic goes on this long after the new backend was marked down, and at least as long after the add as
   the default check took to mark it down when it started up (fall 3 x interval 2 s): the window. */
const AFTER_DOWN_MS = 2_000;
const AFTER_ADD_MS = 6_000;
const POLL_MS = 100;
const T = { timeout: 120_000 };

let network: Network;
let agent: AgentProcess | undefined;
const be3 = () => network.topology.backends.find((b) => b.name === 'be3')!;
const be3Endpoint = () => `${be3().ipv4}:${HTTP}`;

before(async () => {
  network = await setUpNetwork();
  agent = await AgentProcess.start(network);
  await sluiceOk(network, ['service', 'add', SERVICE, '--algorithm', 'round-robin', '--check', 'tcp']);
  for (const name of ['be1', 'be2']) {
    const backend = network.topology.backends.find((b) => b.name === name)!;
    await sluiceOk(network, ['backend', 'add', SERVICE, `${backend.ipv4}:${HTTP}`]);
  }
  await waitForEligible(network, SERVICE, 2);
  /* be3's host is up, but nothing listens on its port. */
  await stopServer(stateDir(PREFIX), 'be3');
});

after(async () => {
  try {
    await agent?.stopAndTeardown();
  } finally {
    await tearDownNetwork();
  }
});

interface Traffic {
  sent: number;
  failed: number;
  byBackend: Record<string, number>;
  failures: Record<string, number>;
}

/** New short connections in bounded batches until control.stop (or the caps); every result summed. */
async function steadyTraffic(control: { stop: boolean }): Promise<Traffic> {
  const total: Traffic = { sent: 0, failed: 0, byBackend: {}, failures: {} };
  const deadline = Date.now() + MAX_TRAFFIC_MS;
  for (let batches = 0; !control.stop && Date.now() < deadline && batches < MAX_BATCHES; batches++) {
    const report: BulkReport = await http(network.topology.client, VIP, HTTP, { count: BATCH, concurrency: 4 });
    total.sent += report.succeeded + report.failed;
    total.failed += report.failed;
    for (const [name, n] of Object.entries(report.byBackend)) total.byBackend[name] = (total.byBackend[name] ?? 0) + n;
    for (const [reason, n] of Object.entries(report.failures)) total.failures[reason] = (total.failures[reason] ?? 0) + n;
  }
  return total;
}

test('a backend added on a port where nothing listens, under steady traffic: 0 refused, it never takes a flow, header = rows', T, async () => {
  const control = { stop: false };
  const traffic = steadyTraffic(control);
  try {
    await sleep(1000);
    const added = await sluiceJson(network, ['backend', 'add', SERVICE, be3Endpoint()]);
    assert.equal(added.eligible, false, 'not eligible when added');
    assert.equal(added.health.pending, true, 'pending when added');

    /* Poll the API as the console does until the backend is down, and on for AFTER_DOWN_MS and AFTER_ADD_MS. */
    const seen: string[] = [];
    let downAt: number | undefined;
    while (downAt === undefined || Date.now() - downAt < AFTER_DOWN_MS || Date.now() - added.createdAt < AFTER_ADD_MS) {
      const detail = await apiClient(network).services.get.query({ service: SERVICE });
      const row = detail.backends.find((b) => b.endpoint === be3Endpoint())!;
      const eligibleRows = detail.backends.filter((b) => b.eligible).length;
      assert.equal(detail.eligibleBackends, eligibleRows, `header says ${detail.eligibleBackends} eligible, the rows ${eligibleRows}`);
      assert.equal(row.eligible, false, `be3 eligible at some poll: ${JSON.stringify(row)}`);
      const state = row.health!.pending ? 'pending' : row.health!.up ? 'up' : 'down';
      if (seen.at(-1) !== state) seen.push(state);
      if (state === 'down' && downAt === undefined) downAt = Date.now();
      assert.ok(Date.now() - added.createdAt < 30_000, `be3 not down 30 s after it was added: ${seen.join(' -> ')}`);
      await sleep(POLL_MS);
    }
    control.stop = true;
    const total = await traffic;
    console.log(`new backend on a closed port: ${JSON.stringify({ ...total, healthSeen: seen })}`);
    assert.deepEqual(
      seen.filter((s) => s !== 'pending'),
      ['down'],
      'pending, then down, never up',
    );
    assert.equal(total.failed, 0, `refused or failed connections: ${JSON.stringify(total.failures)}`);
    assert.equal(total.byBackend.be3 ?? 0, 0);
    assert.ok(total.sent >= 4 * BATCH, `too little traffic to mean anything: ${total.sent}`);
    const stats = (await apiClient(network).backends.list.query({ service: SERVICE })).find((b) => b.endpoint === be3Endpoint())!;
    assert.equal(stats.activeFlows, 0);
  } finally {
    control.stop = true;
    await traffic;
  }
});

test('a backend added on a listening port is pending until its first check passes, then takes new connections', T, async () => {
  await sluiceOk(network, ['backend', 'rm', SERVICE, be3Endpoint()]);
  await startServer(stateDir(PREFIX), be3());
  const added = await sluiceJson(network, ['backend', 'add', SERVICE, be3Endpoint()]);
  assert.deepEqual([added.eligible, added.health.pending], [false, true]);
  const eligible = await waitFor(
    async () => (await apiClient(network).backends.list.query({ service: SERVICE })).find((b) => b.endpoint === be3Endpoint())!,
    (b) => b.eligible,
    { everyMs: 50, timeoutMs: 10_000 },
  );
  assert.ok(eligible.ok, `be3 never became eligible: ${JSON.stringify(eligible.value)}`);
  assert.ok(eligible.value.health!.lastCheckAt !== null && eligible.value.health!.up && !eligible.value.health!.pending);
  /* Its first check is due within FIRST_CHECK_SPREAD_MS of the add and passes at once (+ 1 s probe timeout, + 1 s for polls on a loaded machine): not rise x interval (4 s) later. */
  const tookMs = eligible.at - added.createdAt;
  console.log(`new backend on a listening port: eligible after ${tookMs} ms`);
  assert.ok(tookMs < FIRST_CHECK_SPREAD_MS + 2_000, `eligible only ${tookMs} ms after the add`);
  await waitForEligible(network, SERVICE, 3);
  const report = await http(network.topology.client, VIP, HTTP, { count: 60, concurrency: 3 });
  assert.equal(report.failed, 0);
  assert.deepEqual(report.byBackend, { be1: 20, be2: 20, be3: 20 });
});
