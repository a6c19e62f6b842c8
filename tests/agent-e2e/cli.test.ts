/*
 * The `sluice` CLI against the real agent while the test network carries
 * traffic: connections, stats, health and audit show what happened, in
 * tables and in JSON; config export and import round-trip; errors exit non-zero.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execIn } from '@sluice/testbed/topology';
import { type Hold, hold, http, stopAll } from '@sluice/testbed/client-traffic';
import { AgentProcess, sluice, sluiceJson, sluiceOk } from '@sluice/testbed/agent-process';
import { apiClient, waitFor, waitForEligible } from '@sluice/testbed/api-client';
import { type Network, setUpNetwork, tearDownNetwork } from './support/network.ts';

const VIP = '198.18.100.2';
const VIP6 = '2001:db8:100::2';
const T = { timeout: 90_000 };
const METRICS_PORT = 9469;
/* Longer than the whole file (its CLI calls take seconds each on a loaded machine); the holds are stopped in after(). */
const HOLD_SECONDS = 600;
/* The stats ring's whole hour: the traffic of the first test, however long ago it ran. */
const SERIES_SECONDS = 3600;
const dir = mkdtempSync(join(tmpdir(), 'sluice-agtest-cli-'));

let network: Network;
let agent: AgentProcess | undefined;
const holds: Hold[] = [];

before(async () => {
  network = await setUpNetwork();
  /* Loopback of the LB namespace: the scrape below runs there too. */
  agent = await AgentProcess.start(network, ['--metrics-address', `127.0.0.1:${METRICS_PORT}`]);
});

after(async () => {
  try {
    await stopAll(holds);
    await agent?.stopAndTeardown();
  } finally {
    await tearDownNetwork();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('set up services over IPv4 and IPv6 from the CLI and carry traffic', T, async () => {
  await sluiceOk(network, [
    'service',
    'add',
    `${VIP}:8080/tcp`,
    '--algorithm',
    'weighted-round-robin',
    '--check',
    'http',
    '--check-path',
    '/',
    '--check-interval',
    '1s',
  ]);
  await sluiceOk(network, ['service', 'add', `[${VIP6}]:9000/tcp`, '--algorithm', 'maglev']);
  for (const [i, b] of network.topology.backends.entries()) {
    await sluiceOk(network, ['backend', 'add', `${VIP}:8080/tcp`, `${b.ipv4}:8080`, '--weight', String(i + 1)]);
    await sluiceOk(network, ['backend', 'add', `[${VIP6}]:9000/tcp`, `[${b.ipv6}]:9000`]);
  }
  /* Backends of a checked service take connections after their first passing check. */
  await waitForEligible(network, `${VIP}:8080/tcp`, 3);
  await waitForEligible(network, `[${VIP6}]:9000/tcp`, 3);
  const report = await http(network.topology.client, VIP, 8080, { count: 60, concurrency: 3 });
  assert.equal(report.failed, 0);
  assert.deepEqual(report.byBackend, { be1: 10, be2: 20, be3: 30 });
  for (let i = 0; i < 3; i++) holds.push(await hold(network.topology.client, VIP6, 9000, { seconds: HOLD_SECONDS }));
});

test('conns lists the live connections, filtered by service and backend, in pages', T, async () => {
  const all = await sluiceJson(network, ['conns', '--service', `[${VIP6}]:9000/tcp`]);
  assert.equal(all.items.filter((f: any) => f.state === 'established').length, 3);
  const first = holds[0]!;
  const backend = network.topology.backends.find((b) => b.name === first.backend)!;
  const mine = await sluiceJson(network, ['conns', '--backend', `[${backend.ipv6}]:9000`, '--state', 'established']);
  assert.ok(mine.items.length >= 1 && mine.items.every((f: any) => f.backendAddress === backend.ipv6 && f.vipAddress === VIP6));
  const table = await sluiceOk(network, ['conns', '--service', `[${VIP6}]:9000/tcp`, '--limit', '1']);
  /* First the whole flow table (the three held connections are open), then the page. */
  assert.match(table, /^flow table: \d+ of [\d.]+[kM]? \([\d.]+% full\): \d+ open, \d+ closing, \d+ closed \(as of .+ ago\)\nCLIENT\s+SERVICE\s+BACKEND/);
  assert.match(table, /\[2001:db8::2\]:\d+\s+\[2001:db8:100::2\]:9000\/tcp\s+\[2001:db8:1:\d::2\]:9000\s+tcp\s+established/);
  assert.match(table, /more: --cursor \S+/);
});

test('stats, health and audit report what happened', T, async () => {
  const totals = await sluiceJson(network, ['stats']);
  const web = totals.services.find((s: any) => s.service === `${VIP}:8080/tcp`);
  assert.ok(web.newFlows >= 60 && web.packets > 0 && web.replyPackets > 0, JSON.stringify(web));
  assert.equal(totals.services.find((s: any) => s.service === `[${VIP6}]:9000/tcp`).activeFlows, 3);
  assert.match(await sluiceOk(network, ['stats']), /SERVICE\s+PACKETS\s+BYTES/);
  const { ok } = await waitFor(
    () => sluiceJson(network, ['health', `${VIP}:8080/tcp`]),
    (list: any[]) => list.every((h) => h.up && h.lastCheckAt),
    { timeoutMs: 10_000, everyMs: 500 },
  );
  assert.ok(ok, 'HTTP checks pass');
  const series = await apiClient(network).stats.series.query({ scope: { service: `${VIP}:8080/tcp` }, seconds: SERIES_SECONDS });
  assert.ok(series.length > 0 && series.some((p) => p.newFlowsPerSec > 0), 'the sampler recorded the traffic');
  const audit = await sluiceJson(network, ['audit', '--limit', '100']);
  assert.equal(audit.items.filter((e: any) => e.action === 'backend.add' && e.actor === 'root').length, 6);
});

test('config export and import round-trip against the live agent; a refused import changes nothing', T, async () => {
  const file = join(dir, 'sluice.yaml');
  await sluiceOk(network, ['config', 'export', file]);
  assert.match(await sluiceOk(network, ['config', 'import', file]), /services: \+0 ~0 -0/);
  const before = await sluiceJson(network, ['config', 'export']);
  /* Importing an empty document would delete the IPv6 service, whose backends carry the long connections. */
  const empty = join(dir, 'empty.json');
  (await import('node:fs')).writeFileSync(empty, JSON.stringify({ version: 1, services: [] }));
  const refused = await sluice(network, ['config', 'import', empty]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /CONFLICT: import would remove backend .* which carries \d+ active flows/);
  assert.deepEqual(await sluiceJson(network, ['config', 'export']), before);
  assert.ok(holds.every((h) => h.alive()));
});

test('the agent serves Prometheus metrics with per-service and per-backend series', T, async () => {
  const scrape = await execIn(
    network.topology.lb.namespace,
    process.execPath,
    ['-e', `fetch('http://127.0.0.1:${METRICS_PORT}/metrics').then(async (r) => { process.stdout.write(await r.text()); process.exit(r.ok ? 0 : 1); })`],
    { timeoutMs: 15_000 },
  );
  assert.equal(scrape.code, 0, scrape.stderr);
  assert.match(scrape.stdout, /^sluice_agent_info\{version="0\.1\.0"\} 1$/m);
  assert.match(scrape.stdout, new RegExp(`^sluice_service_new_flows_total\\{service="${VIP.replace(/\./g, '\\.')}:8080/tcp"\\} \\d+`, 'm'));
  assert.match(scrape.stdout, /^sluice_backend_weight\{service="198\.18\.100\.2:8080\/tcp",backend="198\.19\.3\.2:8080"\} 3$/m);
  assert.match(scrape.stdout, /^sluice_backend_up\{service="\[2001:db8:100::2\]:9000\/tcp",backend="\[2001:db8:1:1::2\]:9000"\} 1$/m);
});
