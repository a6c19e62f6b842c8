/*
 * A backend's error signals, counted exactly for a known number of real
 * connections (issue 15). The agent as a process on its own test network, a
 * nat service over three backends by round robin (one turn per new
 * connection, so N connections split N/3 each), and inside the backends'
 * namespaces: be1 answers the client's SYNs with a reset (nft reject), be2
 * drops them (nft drop), be3 serves. Health checks come from the balancer's
 * address, so every backend stays up. The agent must report N/3 resets on
 * be1 and, once its conntrack GC finds the half-open flows idle past the 30 s
 * SYN timeout, N/3 SYNs without reply on be2, nothing on be3, and say the
 * same on /metrics.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { StatsTotals } from '@sluice/api';
import { http } from '@sluice/testbed/client-traffic';
import { AgentProcess, sluiceJson, sluiceOk } from '@sluice/testbed/agent-process';
import { execIn, execInChecked } from '@sluice/testbed/netns';
import { type Network, setUpNetwork, tearDownNetwork } from './support/network.ts';

const VIP = '198.18.100.1';
const HTTP = 8080;
const SERVICE = `${VIP}:${HTTP}/tcp`;
const METRICS = '127.0.0.1:9469';
/* A multiple of the three backends. */
const CONNECTIONS = 30;
/* A connect to be2 gives up after this: its SYN and one retransmission (the same flow, no new turn). */
const CONNECT_TIMEOUT_MS = 1500;
/* SYN timeout 30 s, one GC sweep every 5 s, and slack for a loaded machine. */
const COUNTED_WITHIN_MS = 30_000 + 2 * 5000 + 10_000;
const TABLE = 'sluice_backend_errors_test';
const T = { timeout: 150_000 };

let network: Network;
let agent: AgentProcess | undefined;
const backend = (name: string) => network.topology.backends.find((b) => b.name === name)!;
const endpointOf = (name: string) => `${backend(name).ipv4}:${HTTP}`;
const refuse = (name: string, verdict: string) =>
  execInChecked(backend(name).namespace, 'sh', [
    '-c',
    `nft add table inet ${TABLE} && nft add chain inet ${TABLE} input '{ type filter hook input priority 0; }' && nft add rule inet ${TABLE} input ip saddr ${network.topology.client.ipv4} tcp dport ${HTTP} ${verdict}`,
  ]);

async function errorsByBackend(): Promise<Map<string, StatsTotals['backends'][number]>> {
  const totals = await sluiceJson<StatsTotals>(network, ['stats']);
  const names = new Map(['be1', 'be2', 'be3'].map((name) => [endpointOf(name), name]));
  return new Map(totals.backends.filter((b) => b.service === SERVICE).map((b) => [names.get(b.endpoint)!, b]));
}

before(async () => {
  network = await setUpNetwork();
  agent = await AgentProcess.start(network, ['--metrics-address', METRICS]);
  await sluiceOk(network, [
    'service',
    'add',
    SERVICE,
    '--algorithm',
    'round-robin',
    '--check',
    'tcp',
    '--check-interval',
    '500ms',
    '--check-timeout',
    '300ms',
    '--rise',
    '1',
  ]);
  for (const name of ['be1', 'be2', 'be3']) await sluiceOk(network, ['backend', 'add', SERVICE, endpointOf(name)]);
  await refuse('be1', 'reject with tcp reset');
  await refuse('be2', 'drop');
});

after(async () => {
  try {
    for (const name of ['be1', 'be2']) if (network) await execIn(backend(name).namespace, 'nft', ['delete', 'table', 'inet', TABLE]);
    await agent?.stopAndTeardown();
  } finally {
    await tearDownNetwork();
  }
});

test(`${CONNECTIONS} connections: exactly ${CONNECTIONS / 3} resets on be1, ${CONNECTIONS / 3} SYNs without reply on be2, nothing on be3`, T, async () => {
  const deadline = Date.now() + 20_000;
  while ((await sluiceJson<{ eligible: boolean }[]>(network, ['backend', 'ls', SERVICE])).filter((b) => b.eligible).length < 3) {
    assert.ok(Date.now() < deadline, 'all three backends up (their checks come from the balancer, which nft lets through)');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const report = await http(network.topology.client, VIP, HTTP, { count: CONNECTIONS, concurrency: 1, requestTimeoutMs: CONNECT_TIMEOUT_MS });
  const sentAt = Date.now();
  /* What the client met: a third refused, a third unanswered, a third served by be3. */
  assert.equal(report.succeeded, CONNECTIONS / 3, JSON.stringify(report));
  assert.deepEqual(report.byBackend, { be3: CONNECTIONS / 3 });
  assert.deepEqual(report.failures, { ECONNREFUSED: CONNECTIONS / 3, REQUEST_TIMEOUT: CONNECTIONS / 3 });

  let totals = await errorsByBackend();
  while (totals.get('be2')!.errors.unansweredSyns! < CONNECTIONS / 3 && Date.now() - sentAt < COUNTED_WITHIN_MS) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    totals = await errorsByBackend();
  }
  const countedAfterS = (Date.now() - sentAt) / 1000;
  process.stdout.write(`backend errors: SYNs without reply counted ${countedAfterS.toFixed(1)} s after the last connection\n`);
  for (const [name, b] of totals) process.stdout.write(`backend errors: ${name} newFlows ${b.newFlows} ${JSON.stringify(b.errors)}\n`);
  const [be1, be2, be3] = ['be1', 'be2', 'be3'].map((name) => totals.get(name)!.errors);
  for (const name of ['be1', 'be2', 'be3']) assert.equal(totals.get(name)!.newFlows, CONNECTIONS / 3, `${name}: its third of the connections`);
  assert.deepEqual(
    { be1: [be1!.resets, be1!.unansweredSyns], be2: [be2!.resets, be2!.unansweredSyns], be3: [be3!.resets, be3!.unansweredSyns] },
    { be1: [CONNECTIONS / 3, 0], be2: [0, CONNECTIONS / 3], be3: [0, 0] },
    '[resets, SYNs without reply] by backend',
  );
  for (const errors of [be1, be2, be3]) {
    assert.ok(
      Object.values(errors!.drops).every((n) => n === 0),
      'no drops after the choice',
    );
    assert.equal(errors!.incompleteHandshakes, null, 'nat: the bypass modes’ signal is not observable');
  }

  /* Prometheus says the same. */
  const metrics = (await execInChecked(network.topology.lb.namespace, 'curl', ['-sf', `http://${METRICS}/metrics`])).stdout;
  const line = (name: string, labels: string) => metrics.split('\n').find((l) => l.startsWith(`${name}{service="${SERVICE}",${labels}}`));
  assert.equal(line('sluice_backend_resets_total', `backend="${endpointOf('be1')}"`)?.split(' ')[1], String(CONNECTIONS / 3));
  assert.equal(line('sluice_backend_failed_handshakes_total', `backend="${endpointOf('be2')}",kind="unanswered"`)?.split(' ')[1], String(CONNECTIONS / 3));
  assert.equal(line('sluice_backend_resets_total', `backend="${endpointOf('be3')}"`)?.split(' ')[1], '0');
});
