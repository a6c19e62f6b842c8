/*
 * Health failover with the agent's own TCP checks: stop a backend's server,
 * it is marked down within interval x fall + timeout and new connections
 * avoid it; start it again, it is up after `rise` successes and takes new
 * connections again.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startServer, stateDir, stopServer } from '@sluice/testbed/servers';
import { http } from '@sluice/testbed/client-traffic';
import { AgentProcess, sluiceOk } from '@sluice/testbed/agent-process';
import { apiClient, waitFor } from '@sluice/testbed/api-client';
import { PREFIX, type Network, setUpNetwork, tearDownNetwork } from './support/network.ts';

const VIP = '198.18.100.1';
const HTTP = 8080;
const SERVICE = `${VIP}:${HTTP}/tcp`;
const CHECK = { intervalMs: 500, timeoutMs: 300, rise: 2, fall: 2 };
/* Detection bound from the issue, plus the 50 ms poll of this test. */
const DOWN_WITHIN_MS = CHECK.intervalMs * CHECK.fall + CHECK.timeoutMs;
const POLL_MS = 50;
const T = { timeout: 90_000 };

let network: Network;
let agent: AgentProcess | undefined;
const endpointOf = (name: string) => `${network.topology.backends.find((b) => b.name === name)!.ipv4}:${HTTP}`;
const healthOf = async (name: string) => (await apiClient(network).health.list.query({ service: SERVICE })).find((h) => h.endpoint === endpointOf(name))!;

before(async () => {
  network = await setUpNetwork();
  agent = await AgentProcess.start(network);
  await sluiceOk(network, [
    'service',
    'add',
    SERVICE,
    '--algorithm',
    'round-robin',
    '--check',
    'tcp',
    '--check-interval',
    `${CHECK.intervalMs}ms`,
    '--check-timeout',
    `${CHECK.timeoutMs}ms`,
    '--rise',
    String(CHECK.rise),
    '--fall',
    String(CHECK.fall),
  ]);
  for (const name of ['be1', 'be2', 'be3']) await sluiceOk(network, ['backend', 'add', SERVICE, endpointOf(name)]);
});

after(async () => {
  try {
    await agent?.stopAndTeardown();
  } finally {
    await tearDownNetwork();
  }
});

test('all three backends are checked and up, and all take new connections', T, async () => {
  const { ok } = await waitFor(
    () => apiClient(network).health.list.query({ service: SERVICE }),
    (list) => list.length === 3 && list.every((h) => h.up && h.lastCheckAt !== null && h.checkType === 'tcp'),
    { timeoutMs: 5000 },
  );
  assert.ok(ok, 'every backend has a passing check');
  const report = await http(network.topology.client, VIP, HTTP, { count: 60, concurrency: 3 });
  assert.equal(report.failed, 0);
  assert.deepEqual(report.byBackend, { be1: 20, be2: 20, be3: 20 });
});

test(`be2's server stops: down within ${DOWN_WITHIN_MS} ms, new connections avoid it; back after ${CHECK.rise} successes`, T, async () => {
  const dir = stateDir(PREFIX);
  const stoppedAt = Date.now();
  await stopServer(dir, 'be2');
  const down = await waitFor(
    () => healthOf('be2'),
    (h) => !h.up,
    { everyMs: POLL_MS, timeoutMs: 10_000 },
  );
  const failoverMs = down.at - stoppedAt;
  assert.ok(down.ok, 'be2 is marked down');
  assert.equal(down.value.consecutiveFailures >= CHECK.fall, true);
  assert.ok(down.value.lastError, 'the failure says why');

  const during = await http(network.topology.client, VIP, HTTP, { count: 60, concurrency: 3 });
  assert.equal(during.failed, 0, `requests failed while be2 was down: ${JSON.stringify(during.failures)}`);
  assert.equal(during.byBackend.be2 ?? 0, 0);

  const backend = network.topology.backends.find((b) => b.name === 'be2')!;
  await startServer(dir, backend);
  /* From when the server listens again (startServer waits for that). */
  const startedAt = Date.now();
  const up = await waitFor(
    () => healthOf('be2'),
    (h) => h.up,
    { everyMs: POLL_MS, timeoutMs: 10_000 },
  );
  const recoveryMs = up.at - startedAt;
  assert.ok(up.ok, 'be2 is up again');
  assert.ok(up.value.consecutiveSuccesses >= CHECK.rise);
  const afterwards = await http(network.topology.client, VIP, HTTP, { count: 60, concurrency: 3 });
  assert.equal(afterwards.failed, 0);
  assert.ok((afterwards.byBackend.be2 ?? 0) > 0, 'be2 takes new connections again');

  console.log(
    `health failover: ${JSON.stringify({ check: CHECK, boundMs: DOWN_WITHIN_MS, downAfterMs: failoverMs, upAfterMs: recoveryMs, lastError: down.value.lastError })}`,
  );
  assert.ok(failoverMs <= DOWN_WITHIN_MS + POLL_MS + 100, `marked down after ${failoverMs} ms; the bound is ${DOWN_WITHIN_MS} ms`);
  assert.ok(recoveryMs <= CHECK.intervalMs * CHECK.rise + CHECK.timeoutMs + POLL_MS + 100, `up after ${recoveryMs} ms`);
});
