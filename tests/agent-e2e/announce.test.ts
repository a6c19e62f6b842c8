/*
 * The agent announces its VIPs over BGP (issue 12): the real agent in node
 * n1 of the ECMP network (@sluice/testbed/ecmp) runs its own BIRD, peered
 * over IPv4 and IPv6 (with BFD) with the router's BIRD. A dsr service's VIP
 * reaches the router only while the service has an eligible backend and the
 * node is not drained; node drain withdraws, node resume announces again;
 * SIGKILL of the agent takes its BIRD with it (pdeathsig) and the router
 * drops the node within a second (measured); node.status and the metrics
 * show peers and routes as BIRD has them; a connection through the router
 * and the node is what node drain waits for; bad BGP settings stop the agent
 * at start, before anything is attached.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { hold } from '@sluice/testbed/client-traffic';
import { type Ecmp, ecmpDown, ecmpUp, routerNextHops } from '@sluice/testbed/ecmp';
import { execIn, run, runChecked, spawnIn } from '@sluice/testbed/netns';
import { waitForReadyFile } from '@sluice/testbed/ready-file';
import { tagged } from '@sluice/testbed/tag';

const SLUICE = fileURLToPath(new URL('../../apps/agent/bin/sluice.mjs', import.meta.url));
const PREFIX = tagged('slan');
const PORT = 8080;
const METRICS_PORT = 9469;
const T = { timeout: 120_000 };
/* Quick checks (through the data path, as for every dsr backend): up within a second or two of being added. */
const CHECK = ['--check', 'tcp', '--check-interval', '500ms', '--check-timeout', '400ms', '--rise', '1', '--fall', '2'];
/* BGP needs a few seconds to come up (connect delay 1 s, OPEN, first UPDATE); a withdrawal after a change is quicker. */
const ROUTE_WAIT_MS = 20_000;

const dir = mkdtempSync(join(tmpdir(), 'sluice-announce-'));
const paths = {
  data: join(dir, 'data'),
  pins: join(dir, 'bpf'),
  socket: join(dir, 'agent.sock'),
  token: join(dir, 'admin.token'),
  ready: join(dir, 'agent.ready'),
  bgp: join(dir, 'bgp.json'),
  badBgp: join(dir, 'bad-bgp.json'),
  runDir: join(dir, 'data', 'bgp'),
};
let ecmp: Ecmp;
let agent: ChildProcess | undefined;
let agentLog = '';
let mounted = false;
/* When the router last showed the next hops waited for (waitForHops): node.status readings from after it must agree. */
let routerSeenAt = 0;

const node = () => ecmp.nodes[0]!;
const vip4 = () => ecmp.vips.ipv4[0]!;
const vip6 = () => ecmp.vips.ipv6[0]!;
const service4 = () => `${vip4()}:${PORT}/tcp`;
const service6 = () => `[${vip6()}]:${PORT}/tcp`;
const backend4 = () => `${ecmp.backends[0]!.ipv4}:${PORT}`;
const backend6 = () => `[${ecmp.backends[0]!.ipv6}]:${PORT}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function agentArgs(bgpConfig: string): string[] {
  return [
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
    '--metrics-address',
    `127.0.0.1:${METRICS_PORT}`,
    '--bgp-config',
    bgpConfig,
    '--detach-on-exit',
  ];
}

async function startAgent(): Promise<void> {
  rmSync(paths.ready, { force: true });
  agentLog = '';
  agent = spawnIn(node().namespace, process.execPath, agentArgs(paths.bgp), { stdio: ['ignore', 'pipe', 'pipe'] });
  agent.stdout!.setEncoding('utf8').on('data', (chunk: string) => (agentLog += chunk));
  agent.stderr!.setEncoding('utf8').on('data', (chunk: string) => (agentLog += chunk));
  const ready = await waitForReadyFile(paths.ready, { alive: () => agent?.exitCode === null && agent.signalCode === null, timeoutMs: 30_000 });
  assert.ok(ready, `the agent did not start:\n${agentLog}`);
}

async function sluice(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return execIn(node().namespace, process.execPath, [SLUICE, ...args, '--socket', paths.socket, '--token-file', paths.token], { timeoutMs: 60_000 });
}

async function sluiceOk(args: string[]): Promise<string> {
  const r = await sluice(args);
  assert.equal(r.code, 0, `sluice ${args.join(' ')}: ${r.stderr}\n${agentLog.slice(-2000)}`);
  return r.stdout;
}

async function nodeStatus(): Promise<any> {
  return JSON.parse(await sluiceOk(['node', 'status', '--json']));
}

/** The router's BIRD: its protocols and the end of its log, for a failure message. */
async function routerState(): Promise<string> {
  const protocols = await run('birdc', ['-s', ecmp.router.bird!.socket, 'show', 'protocols']);
  let log = '';
  try {
    log = readFileSync(ecmp.router.bird!.logFile, 'utf8').trimEnd().split('\n').slice(-15).join('\n');
  } catch {
    log = '(no log)';
  }
  return `router BIRD:\n${protocols.stdout}\nits log:\n${log}`;
}

/** The router's next hops for a VIP, polled until `done` (bounded). */
async function waitForHops(vip: string, done: (hops: string[]) => boolean, what: string): Promise<string[]> {
  const deadline = Date.now() + ROUTE_WAIT_MS;
  let hops = await routerNextHops(ecmp, vip);
  while (!done(hops)) {
    if (Date.now() > deadline)
      assert.fail(
        `router: ${what} for ${vip} not seen within ${ROUTE_WAIT_MS} ms (next hops ${JSON.stringify(hops)})\n${await routerState()}\nagent:\n${agentLog.slice(-3000)}`,
      );
    await sleep(50);
    hops = await routerNextHops(ecmp, vip);
  }
  routerSeenAt = Date.now();
  return hops;
}
/*
 * node.status shows the speaker's last reading of BIRD, stamped with when it
 * started (readAt) and at most pollMs old: what it promises is that a reading
 * begun after the router had a route shows that route. So wait for such a
 * reading (bounded), then compare exactly; an earlier one may rightly predate
 * the change.
 */
async function nodeStatusReadSince(since: number): Promise<any> {
  const deadline = Date.now() + ROUTE_WAIT_MS;
  let status = await nodeStatus();
  while ((status.bgp?.readAt ?? 0) < since) {
    if (Date.now() > deadline)
      assert.fail(`no reading of BIRD since ${since} within ${ROUTE_WAIT_MS} ms (last readAt ${status.bgp?.readAt})\nagent:\n${agentLog.slice(-3000)}`);
    await sleep(100);
    status = await nodeStatus();
  }
  return status;
}
const announced = (vip: string, via: string) => waitForHops(vip, (h) => h.length === 1 && h[0] === via, `a route via ${via}`);
const withdrawn = (vip: string) => waitForHops(vip, (h) => h.length === 0, 'no route');

/** BIRD processes started with a config under `runDir` (any namespace). */
function birdsUnder(runDir: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (cmdline.some((a) => a.endsWith('bird')) && cmdline.some((a) => a.startsWith(runDir))) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

async function xdpAttached(ifname: string): Promise<boolean> {
  const r = await run('ip', ['-n', node().namespace, '-j', 'link', 'show', ifname]);
  return JSON.stringify(JSON.parse(r.stdout)).includes('"xdp');
}

before(async () => {
  ecmp = await ecmpUp({ prefix: PREFIX, nodes: 2, backends: 1 });
  mkdirSync(paths.pins, { recursive: true });
  /* ip netns exec mounts in a namespace of its own: the pins go on a bpffs mounted here, where every command sees it. */
  await runChecked('mount', ['-t', 'bpf', 'bpffs', paths.pins]);
  mounted = true;
  const n1 = node();
  writeFileSync(
    paths.bgp,
    JSON.stringify({
      localAs: ecmp.nodeAs,
      routerId: n1.uplink.ipv4,
      peers: [
        { address: n1.router.ipv4, as: ecmp.router.as },
        { address: n1.router.ipv6, as: ecmp.router.as },
      ],
      holdTimeS: 3,
      bfd: ecmp.bfd,
      pollMs: 250,
    }),
  );
});

after(async () => {
  if (agent && agent.exitCode === null && agent.signalCode === null) {
    const exited = new Promise((resolve) => agent!.once('exit', resolve));
    agent.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    if (agent.exitCode === null && agent.signalCode === null) agent.kill('SIGKILL');
  }
  if (ecmp) await execIn(node().namespace, process.execPath, [SLUICE, 'teardown', '--interfaces', 'eth0,eth1', '--pin-dir', paths.pins]).catch(() => {});
  await ecmpDown({ prefix: PREFIX });
  if (mounted) await run('umount', [paths.pins]);
  rmSync(dir, { recursive: true, force: true });
});

test('bad BGP settings stop the agent at start with the problem named, before anything is attached or started', T, async () => {
  const n1 = node();
  const bad = { localAs: 0, routerId: n1.uplink.ipv6, peers: [], holdTimeS: 1 };
  writeFileSync(paths.badBgp, JSON.stringify(bad));
  const r = await execIn(n1.namespace, process.execPath, agentArgs(paths.badBgp), { timeoutMs: 30_000 });
  assert.equal(r.code, 1, r.stderr);
  for (const problem of [
    /localAs: an AS number is 1 to 4294967295/,
    /routerId: routerId must be an IPv4 address/,
    /peers: name at least one router/,
    /holdTimeS/,
  ])
    assert.match(r.stderr, problem);
  assert.match(r.stderr, new RegExp(`BGP settings ${paths.badBgp.replace(/[/.]/g, '\\$&')}`));
  assert.equal(await xdpAttached('eth0'), false, 'nothing attached');
  assert.deepEqual(birdsUnder(dir), [], 'no BIRD started');
});

test('a VIP is announced only while its service has an eligible backend', T, async () => {
  await startAgent();
  const via4 = node().uplink.ipv4;
  const via6 = node().uplink.ipv6;
  await sluiceOk(['service', 'add', service4(), '--mode', 'dsr', ...CHECK]);
  await sluiceOk(['service', 'add', service6(), '--mode', 'dsr', ...CHECK]);
  // Services without backends: the sessions come up, nothing is announced.
  const deadline = Date.now() + ROUTE_WAIT_MS;
  let status = await nodeStatus();
  while (!status.bgp.peers.every((p: any) => p.established) && Date.now() < deadline) {
    await sleep(250);
    status = await nodeStatus();
  }
  assert.deepEqual(
    status.bgp.peers.map((p: any) => [p.address, p.state, p.routes]),
    [
      [node().router.ipv4, 'Established', []],
      [node().router.ipv6, 'Established', []],
    ],
  );
  assert.deepEqual(await routerNextHops(ecmp, vip4()), []);

  await sluiceOk(['backend', 'add', service4(), backend4()]);
  await sluiceOk(['backend', 'add', service6(), backend6()]);
  await announced(vip4(), via4);
  await announced(vip6(), via6);

  // Drained: no eligible backend left, withdrawn. Ready again: back.
  await sluiceOk(['backend', 'drain', service4(), backend4()]);
  await withdrawn(vip4());
  assert.deepEqual(await routerNextHops(ecmp, vip6()), [via6], `the other VIP stays\n${await routerState()}\nagent:\n${agentLog.slice(-3000)}`);
  await sluiceOk(['backend', 'ready', service4(), backend4()]);
  await announced(vip4(), via4);
});

test('node.status and the metrics show each peer, its BFD session and the routes BIRD exports', T, async () => {
  const status = await nodeStatusReadSince(routerSeenAt);
  assert.equal(status.draining, false);
  assert.equal(status.bgp.running, true);
  assert.equal(status.bgp.withheld, null);
  assert.deepEqual(status.bgp.announced, [`${vip4()}/32`, `${vip6()}/128`].sort(), `agent:\n${agentLog.slice(-3000)}`);
  const [p4, p6] = status.bgp.peers;
  assert.deepEqual([p4.routes, p6.routes], [[`${vip4()}/32`], [`${vip6()}/128`]]);
  assert.deepEqual([p4.bfd.state, p6.bfd.state], ['Up', 'Up']);
  assert.ok(p4.since > 0 && p4.since <= Date.now() + 1000, `since ${p4.since}`);
  const human = await sluiceOk(['node', 'status']);
  assert.match(human, /announced: .*198\.18\.100\.1\/32/);
  assert.match(human, new RegExp(`${node().router.ipv4.replace(/\./g, '\\.')}\\s+${ecmp.router.as}\\s+Established`));
  const metrics = (await execIn(node().namespace, 'curl', ['-s', `http://127.0.0.1:${METRICS_PORT}/metrics`])).stdout;
  assert.match(metrics, /^sluice_bgp_speaker_up 1$/m);
  assert.match(metrics, new RegExp(`^sluice_bgp_peer_up\\{peer="${node().router.ipv4}"\\} 1$`, 'm'));
  assert.match(metrics, new RegExp(`^sluice_bgp_peer_bfd_up\\{peer="${node().router.ipv6}"\\} 1$`, 'm'));
  assert.match(metrics, new RegExp(`^sluice_bgp_routes_announced\\{peer="${node().router.ipv4}"\\} 1$`, 'm'));
  assert.match(metrics, /^sluice_node_draining 0$/m);
});

test('node drain withdraws every route before it waits; node resume announces again; both audited', T, async () => {
  const out = await sluiceOk(['node', 'drain', '--timeout', '5s']);
  assert.match(out, /routes withdrawn \(BIRD announces: nothing\)/);
  assert.match(out, /drained: no open flows/);
  // Withdrawn already when drain answered: BIRD exports nothing, the router lost both routes.
  await withdrawn(vip4());
  await withdrawn(vip6());
  const drained = await nodeStatus();
  assert.equal(drained.draining, true);
  assert.deepEqual(drained.bgp.announced, []);
  assert.match(drained.bgp.withheld, /draining/);
  assert.ok(
    drained.bgp.peers.every((p: any) => p.established),
    'sessions stay up while drained',
  );

  await sluiceOk(['node', 'resume']);
  await announced(vip4(), node().uplink.ipv4);
  await announced(vip6(), node().uplink.ipv6);
  assert.equal((await nodeStatus()).draining, false);
  const audit = JSON.parse(await sluiceOk(['audit', '--json'])) as { items?: { action: string }[] } | { action: string }[];
  const actions = (Array.isArray(audit) ? audit : (audit.items ?? [])).map((e) => e.action);
  assert.ok(actions.includes('node.drain') && actions.includes('node.resume'), `audit: ${actions}`);
});

test(
  'a connection goes client -> router -> node (dsr) -> backend; node drain withdraws, prints the open flow, and ends once nothing has reached the node for 3 s',
  T,
  async () => {
    const be = ecmp.backends[0]!;
    const line = `${vip4()}:${be.ports.tcp}/tcp`;
    await sluiceOk(['service', 'add', line, '--mode', 'dsr', ...CHECK]);
    await sluiceOk(['backend', 'add', line, `${be.ipv4}:${be.ports.tcp}`]);
    await announced(vip4(), node().uplink.ipv4);
    const held = await hold(ecmp.client, vip4(), be.ports.tcp, { seconds: 60, intervalMs: 100 });
    try {
      assert.equal(held.backend, be.name);
      await held.exchanged(3);
      assert.ok((await nodeStatus()).activeFlows >= 1, 'the node counts the held connection');
      /* The only node is withdrawn: the router sends it nothing, so the drain ends as quiet long before its timeout. */
      const started = performance.now();
      const r = await sluice(['node', 'drain', '--timeout', '60s']);
      const tookMs = performance.now() - started;
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /routes withdrawn \(BIRD announces: nothing\); waiting for [1-9]\d* open flows/);
      assert.match(r.stdout, /^ {2}[1-9]\d* open flows, last packet forwarded [\d.]+\s?m?s ago$/m);
      assert.match(r.stdout, /drained: nothing forwarded for 3 s, the routers send this node nothing; its [1-9]\d* open flows went on/);
      assert.ok(tookMs >= 3000 && tookMs < 60_000, `the drain took ${tookMs.toFixed(0)} ms: at least the 3 s without traffic, well under its timeout`);
      await withdrawn(vip4());
    } finally {
      await held.stop();
      await sluiceOk(['node', 'resume']);
    }
    await announced(vip4(), node().uplink.ipv4);
  },
);

test('SIGKILL of the agent takes its BIRD down with it: the router drops the node within a second', T, async () => {
  await announced(vip4(), node().uplink.ipv4);
  const birds = birdsUnder(paths.runDir);
  assert.equal(birds.length, 1, `one BIRD of this agent running: ${birds}`);
  const exited = new Promise((resolve) => agent!.once('exit', resolve));
  const started = performance.now();
  agent!.kill('SIGKILL');
  await exited;
  await withdrawn(vip4());
  const tookMs = performance.now() - started;
  console.log(`# SIGKILL of the agent -> the router withdrew ${vip4()} in ${tookMs.toFixed(0)} ms`);
  assert.ok(tookMs < 1_000, `withdrawal took ${tookMs.toFixed(0)} ms, the bound is 1000 ms`);
  await withdrawn(vip6());
  assert.deepEqual(birdsUnder(paths.runDir), [], 'no BIRD of the killed agent left');
});
