/*
 * Health checks of bypass-mode backends go through the data path (issue 11):
 * the real agent on the fabric network (@sluice/testbed/fabric) checks a dsr
 * backend (be1, VIP on its loopback) and a gue backend (be2, Sluice's decap
 * in TC) at the VIP, and be2 again over IPv6 in ipip (IP6IP6), steered by the
 * health_steer program at the balancer's egress. All come up, and be2's decap
 * counters prove its probes arrived in GUE and in IP6IP6. Then be1 loses the VIP from its loopback and be2 its decap: both
 * are marked down although their own addresses still answer from the
 * balancer. Fixed, both come back up.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { type Fabric, fabricDown, fabricUp } from '@sluice/testbed/fabric';
import { execIn, execInChecked, run, runChecked, spawnIn } from '@sluice/testbed/netns';
import { waitForReadyFile } from '@sluice/testbed/ready-file';
import { tagged } from '@sluice/testbed/tag';

const SLUICE = fileURLToPath(new URL('../../apps/agent/bin/sluice.mjs', import.meta.url));
const PREFIX = tagged('slhp');
const GUE_PORT = 6080;
const PORT = 8080; /* the backend servers' HTTP port: bypass modes keep the service's port */
const T = { timeout: 120_000 };
/* Interval 500 ms, fall 2: down within about 1.5 s; the bound leaves room for a loaded machine. */
const CHECK = ['--check', 'http', '--check-path', '/', '--check-interval', '500ms', '--check-timeout', '400ms', '--rise', '2', '--fall', '2'];
const HEALTH_WAIT_MS = 15_000;

const dir = mkdtempSync(join(tmpdir(), 'sluice-data-path-health-'));
const paths = {
  data: join(dir, 'data'),
  pins: join(dir, 'bpf'),
  socket: join(dir, 'agent.sock'),
  token: join(dir, 'admin.token'),
  ready: join(dir, 'agent.ready'),
  be2: join(dir, 'be2'),
  be2Pins: join(dir, 'be2', 'bpf'),
};
let fabric: Fabric;
let agent: ChildProcess | undefined;
let agentLog = '';
let mounted = false;

const dsr = () => ({ backend: fabric.backends[0]!, vip: fabric.vips.ipv4[0]! });
const gue = () => ({ backend: fabric.backends[1]!, vip: fabric.vips.ipv4[1]! });
const ipip6 = () => ({ backend: fabric.backends[1]!, vip: fabric.vips.ipv6[2]! });
const serviceOf = (vip: string) => (vip.includes(':') ? `[${vip}]:${PORT}/tcp` : `${vip}:${PORT}/tcp`);
const ipip6Endpoint = () => `[${ipip6().backend.ipv6}]:${PORT}`;

async function sluice(args: string[]): Promise<string> {
  const r = await execIn(fabric.lb.namespace, process.execPath, [SLUICE, ...args, '--socket', paths.socket, '--token-file', paths.token], {
    timeoutMs: 30_000,
  });
  assert.equal(r.code, 0, `sluice ${args.join(' ')}: ${r.stderr}\n${agentLog.slice(-2000)}`);
  return r.stdout;
}

const onBe2 = (args: string[]) =>
  execIn(gue().backend.namespace, process.execPath, [SLUICE, 'backend-host', ...args, '--run-dir', paths.be2], { timeoutMs: 60_000 });

async function attachDecap(): Promise<void> {
  const r = await onBe2([
    'attach',
    '--interface',
    'eth0',
    '--address',
    gue().backend.ipv4,
    '--address',
    ipip6().backend.ipv6,
    '--mode',
    'tc',
    '--gue-port',
    String(GUE_PORT),
  ]);
  /* attach runs the check afterwards: exit 1 only reports problems (e.g. an MSS note), the program is attached. */
  assert.ok(r.code === 0 || r.code === 1, `backend-host attach: ${r.stderr}`);
}

async function decapCounters(): Promise<Record<string, number>> {
  const r = await onBe2(['check', '--interface', 'eth0', '--json']);
  const counters = (JSON.parse(r.stdout) as { counters: Record<string, number> | null }).counters;
  assert.ok(counters, `be2's decap counters (attached): ${r.stdout}`);
  return counters;
}

/** The checker's view of one backend, polled until `up` is as wanted (bounded by HEALTH_WAIT_MS). */
async function waitForHealth(vip: string, endpoint: string, up: boolean): Promise<{ up: boolean; lastError: string | null }> {
  const deadline = Date.now() + HEALTH_WAIT_MS;
  let last: { up: boolean; lastError: string | null } | undefined;
  while (Date.now() < deadline) {
    const backends = JSON.parse(await sluice(['backend', 'ls', serviceOf(vip), '--json'])) as {
      endpoint: string;
      health?: { up: boolean; lastError: string | null; pending: boolean };
    }[];
    const health = backends.find((b) => b.endpoint === endpoint)?.health;
    if (health && !health.pending) last = { up: health.up, lastError: health.lastError };
    if (last?.up === up) return last;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  assert.fail(
    `${endpoint} of ${serviceOf(vip)} not ${up ? 'up' : 'down'} within ${HEALTH_WAIT_MS} ms (last: ${JSON.stringify(last)})\n${agentLog.slice(-3000)}`,
  );
}

/** The backend's own address answers HTTP from the balancer's namespace (not through any VIP). */
async function ownAddressAnswers(address: string): Promise<void> {
  const script = `const r = await fetch('http://${address}:${PORT}/', { signal: AbortSignal.timeout(3000) }); process.exit(r.ok ? 0 : 1);`;
  const r = await execIn(fabric.lb.namespace, process.execPath, ['--input-type=module', '-e', script], { timeoutMs: 10_000 });
  assert.equal(r.code, 0, `${address}:${PORT} should answer: ${r.stderr}`);
}

before(async () => {
  fabric = await fabricUp({ prefix: PREFIX, backends: 2 });
  mkdirSync(paths.be2Pins, { recursive: true });
  /* ip netns exec mounts in a namespace of its own: be2's pins go on a bpffs mounted here, where every command sees it. */
  await runChecked('mount', ['-t', 'bpf', 'bpffs', paths.be2Pins]);
  mounted = true;
  /* be1, dsr: the VIP on lo, and no ARP answers for it on eth0 (the balancer's segment). */
  const be1 = dsr().backend.namespace;
  await execInChecked(be1, 'ip', ['addr', 'add', `${dsr().vip}/32`, 'dev', 'lo']);
  await execInChecked(be1, 'sysctl', ['-q', '-w', 'net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2']);
  /* be2, gue: the VIP on lo, Sluice's decap at TC ingress. */
  await execInChecked(gue().backend.namespace, 'ip', ['addr', 'add', `${gue().vip}/32`, 'dev', 'lo']);
  await execInChecked(gue().backend.namespace, 'ip', ['-6', 'addr', 'add', `${ipip6().vip}/128`, 'dev', 'lo', 'nodad']);
  await attachDecap();

  agent = spawnIn(
    fabric.lb.namespace,
    process.execPath,
    [
      SLUICE,
      'agent',
      '--interfaces',
      'eth0,eth1',
      '--pin-dir',
      paths.pins,
      '--data-dir',
      paths.data,
      '--socket',
      paths.socket,
      '--token-file',
      paths.token,
      '--ready-file',
      paths.ready,
      '--tunnel-source4',
      fabric.lb.segment.ipv4,
      '--tunnel-source6',
      fabric.lb.segment.ipv6,
      '--gue-port',
      String(GUE_PORT),
      '--detach-on-exit',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  agent.stdout!.setEncoding('utf8').on('data', (chunk: string) => (agentLog += chunk));
  agent.stderr!.setEncoding('utf8').on('data', (chunk: string) => (agentLog += chunk));
  const ready = await waitForReadyFile(paths.ready, { alive: () => agent?.exitCode === null, timeoutMs: 30_000 });
  assert.ok(ready, `the agent did not start:\n${agentLog}`);

  for (const [mode, { backend, vip }] of [
    ['dsr', dsr()],
    ['gue', gue()],
  ] as const) {
    await sluice(['service', 'add', serviceOf(vip), '--mode', mode, ...CHECK]);
    await sluice(['backend', 'add', serviceOf(vip), `${backend.ipv4}:${PORT}`]);
  }
  await sluice(['service', 'add', serviceOf(ipip6().vip), '--mode', 'ipip', ...CHECK]);
  await sluice(['backend', 'add', serviceOf(ipip6().vip), ipip6Endpoint()]);
});

after(async () => {
  if (agent && agent.exitCode === null) {
    const exited = new Promise((resolve) => agent!.once('exit', resolve));
    agent.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    if (agent.exitCode === null && agent.signalCode === null) agent.kill('SIGKILL');
  }
  if (fabric) await onBe2(['detach']).catch(() => {});
  await fabricDown({ prefix: PREFIX });
  if (mounted) await run('umount', [paths.be2Pins]);
  rmSync(dir, { recursive: true, force: true });
});

test('a dsr, a gue and an IPv6 ipip backend are checked at the VIP through the data path and come up', T, async (t) => {
  const before = await decapCounters();
  const started = Date.now();
  await waitForHealth(dsr().vip, `${dsr().backend.ipv4}:${PORT}`, true);
  await waitForHealth(gue().vip, `${gue().backend.ipv4}:${PORT}`, true);
  await waitForHealth(ipip6().vip, ipip6Endpoint(), true);
  t.diagnostic(`all three up ${Date.now() - started} ms after the first poll`);
  const afterUp = await decapCounters();
  /* The gue backend's probes reached it inside GUE, stripped by its decap (the only GUE on this network). */
  assert.ok((afterUp.gue_ipv4 ?? 0) > (before.gue_ipv4 ?? 0), JSON.stringify(afterUp));
  assert.ok((afterUp.ip6ip6 ?? 0) > (before.ip6ip6 ?? 0), JSON.stringify(afterUp));
});

test('a dsr backend without the VIP on lo and a gue and an IPv6 ipip backend without decap are marked down, though their own addresses answer', T, async () => {
  await execInChecked(dsr().backend.namespace, 'ip', ['addr', 'del', `${dsr().vip}/32`, 'dev', 'lo']);
  const detached = await onBe2(['detach']);
  assert.equal(detached.code, 0, detached.stderr);

  const dsrDown = await waitForHealth(dsr().vip, `${dsr().backend.ipv4}:${PORT}`, false);
  const gueDown = await waitForHealth(gue().vip, `${gue().backend.ipv4}:${PORT}`, false);
  await waitForHealth(ipip6().vip, ipip6Endpoint(), false);
  assert.ok(dsrDown.lastError, 'the failed probe says why');
  assert.ok(gueDown.lastError, 'the failed probe says why');
  await ownAddressAnswers(dsr().backend.ipv4);
  await ownAddressAnswers(gue().backend.ipv4);
});

test('fixed (VIP back on lo, decap attached again), all three come back up', T, async () => {
  await execInChecked(dsr().backend.namespace, 'ip', ['addr', 'add', `${dsr().vip}/32`, 'dev', 'lo']);
  await attachDecap();
  await waitForHealth(dsr().vip, `${dsr().backend.ipv4}:${PORT}`, true);
  await waitForHealth(gue().vip, `${gue().backend.ipv4}:${PORT}`, true);
  await waitForHealth(ipip6().vip, ipip6Endpoint(), true);
});

test('the agent leaving with --detach-on-exit takes the steering off both interfaces with its XDP program', T, async () => {
  const steering = async (ifname: string) => (await execInChecked(fabric.lb.namespace, 'tc', ['filter', 'show', 'dev', ifname, 'egress'])).stdout;
  for (const ifname of ['eth0', 'eth1']) assert.match(await steering(ifname), /health_steer/, `attached on ${ifname}`);
  const exited = new Promise((resolve) => agent!.once('exit', resolve));
  agent!.kill('SIGTERM');
  await exited;
  for (const ifname of ['eth0', 'eth1']) assert.doesNotMatch(await steering(ifname), /health_steer/, `left on ${ifname}:\n${agentLog.slice(-1500)}`);
});
