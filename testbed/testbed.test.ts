// Proves the test network without any XDP program: the LB namespace only
// routes, so the client must reach each backend directly.
// Run: cd /work/main && node --import tsx --test testbed/testbed.test.ts
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { up, down, status, execIn, spawnIn, type Topology } from './topology.js';
import { listNamespaces, run } from './netns.js';
import { checkPrerequisites } from './prereqs.js';
import { tagged } from './tag.ts';

// Distinct from the demo's "sl"; SLUICE_TEST_TAG keeps two checkouts' runs apart.
const PREFIX = tagged('sltb');
const FAIL_PREFIX = tagged('sltbf');
const CLIENT = fileURLToPath(new URL('./client.mjs', import.meta.url));
const SERVER = fileURLToPath(new URL('./backend-server.mjs', import.meta.url));
const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url));
const T = { timeout: 60_000 };

let topo: Topology;
let rootLinksBefore: string;
const tmp = mkdtempSync(join(tmpdir(), 'sluice-testbed-'));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rootLinks = async () =>
  (await run('ip', ['-o', 'link', 'show'])).stdout
    .split('\n')
    .map((l) => /^\d+:\s+([^:@]+)/.exec(l)?.[1])
    .filter(Boolean)
    .sort()
    .join(',');
const ours = async (prefix: string) => (await listNamespaces()).filter((n) => n.startsWith(`${prefix}-`));

async function client(args: string[]): Promise<any> {
  const r = await execIn(topo.client.namespace, process.execPath, [CLIENT, ...args], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, `client ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

before(async () => {
  rootLinksBefore = await rootLinks();
  topo = await up({ prefix: PREFIX, backends: 3 });
});

// after() does not run when the run is interrupted (Ctrl-C, kill): then tear
// down synchronously on exit, through the CLI in a child process.
let tornDown = false;
process.once('exit', () => {
  if (tornDown) return;
  for (const prefix of [PREFIX, FAIL_PREFIX]) {
    spawnSync(process.execPath, ['--import', 'tsx', CLI, 'down', '--quiet', '--prefix', prefix], { stdio: 'ignore', timeout: 30_000 });
  }
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));

after(async () => {
  // Runs on failure too: never leave namespaces behind.
  await down({ prefix: PREFIX }).catch((e) => console.error(e));
  await down({ prefix: FAIL_PREFIX }).catch((e) => console.error(e));
  tornDown = true;
  rmSync(tmp, { recursive: true, force: true });
});

test('up builds the planned namespaces without touching the root namespace', T, async () => {
  assert.deepEqual(
    (await ours(PREFIX)).sort(),
    ['be1', 'be2', 'be3', 'client', 'lb'].map((n) => `${PREFIX}-${n}`),
  );
  assert.equal(await rootLinks(), rootLinksBefore, 'no interface may appear in the root namespace');
  assert.deepEqual(
    topo.backends.map((b) => b.name),
    ['be1', 'be2', 'be3'],
  );
  assert.equal(topo.client.extraIpv4.length, 10);
  assert.deepEqual(
    topo.lb.interfaces.map((i) => i.name),
    ['cli0', 'be1', 'be2', 'be3'],
  );
  assert.equal(topo.vips.ipv4[0], '198.18.100.1');
  assert.equal(topo.vips.ipv6[7], '2001:db8:100::8');
  // The LB has no route out: only its connected subnets.
  for (const family of ['-4', '-6']) {
    const routes = (await run('ip', ['-n', topo.lb.namespace, family, 'route', 'show', 'default'])).stdout.trim();
    assert.equal(routes, '', `LB must have no ${family} default route`);
  }
  // Offloads the XDP data plane relies on.
  const features = (await execIn(topo.backends[0]!.namespace, 'ethtool', ['-k', 'eth0'])).stdout;
  assert.match(features, /tx-checksumming: off/);
  assert.match(features, /generic-receive-offload: on/);
});

test('the client reaches every backend over HTTP on IPv4 and IPv6', T, async () => {
  for (const b of topo.backends) {
    const v4 = await client(['http', '--url', `http://${b.ipv4}:8080/`, '--count', '5', '--concurrency', '2']);
    assert.equal(v4.ok, true, JSON.stringify(v4));
    assert.deepEqual(v4.byBackend, { [b.name]: 5 });
    assert.deepEqual(v4.byClient, { '198.18.0.2': 5 });
    assert.equal(v4.connections, 5, 'a new connection per request without --keepalive');
    const v6 = await client(['http', '--url', `http://[${b.ipv6}]:8080/`, '--count', '5']);
    assert.equal(v6.ok, true, JSON.stringify(v6));
    assert.deepEqual(v6.byBackend, { [b.name]: 5 });
    assert.deepEqual(v6.byClient, { '2001:db8::2': 5 });
  }
});

test('extra client addresses work as sources, and keep-alive reuses connections', T, async () => {
  const v4 = await client(['http', '--url', 'http://198.19.2.2:8080/', '--count', '30', '--concurrency', '3', '--keepalive', '--source', '198.18.0.19']);
  assert.equal(v4.ok, true, JSON.stringify(v4));
  assert.deepEqual(v4.byClient, { '198.18.0.19': 30 });
  assert.ok(v4.connections <= 3, `keep-alive used ${v4.connections} connections`);
  const v6 = await client(['http', '--url', 'http://[2001:db8:1:3::2]:8080/', '--count', '3', '--source', '2001:db8::17']);
  assert.deepEqual(v6.byClient, { '2001:db8::17': 3 });
});

test('UDP request/reply works on IPv4 and IPv6', T, async () => {
  for (const b of topo.backends) {
    for (const host of [b.ipv4, b.ipv6]) {
      const r = await client(['udp', '--host', host, '--port', '9001', '--count', '20', '--concurrency', '4']);
      assert.equal(r.ok, true, JSON.stringify(r));
      assert.deepEqual(r.byBackend, { [b.name]: 20 });
    }
  }
  const perSocket = await client(['udp', '--host', '198.19.1.2', '--port', '9001', '--count', '5', '--new-socket', '--source', '198.18.0.10']);
  assert.deepEqual(perSocket.byBackend, { be1: 5 });
  const closed = await client(['udp', '--host', '198.19.1.2', '--port', '9002', '--count', '2']);
  assert.equal(closed.failed, 2, 'a closed port fails, and fast');
});

test('failures are reported with reasons, not thrown', T, async () => {
  const r = await client(['http', '--url', 'http://198.19.1.2:8081/', '--count', '3']);
  assert.equal(r.ok, false);
  assert.deepEqual(r.failures, { ECONNREFUSED: 3 });
});

test('hold keeps one connection for ~2 s with every reply from one backend', T, async () => {
  const ready = join(tmp, 'hold-ready');
  const r = await client(['hold', '--host', '198.19.2.2', '--port', '9000', '--seconds', '2', '--interval-ms', '100', '--ready-file', ready]);
  assert.equal(readFileSync(ready, 'utf8').trim(), 'be2');
  assert.equal(r.backend, 'be2');
  assert.equal(r.broken, false, JSON.stringify(r));
  assert.equal(r.errors, 0, JSON.stringify(r));
  assert.ok(r.sent >= 15, `sent only ${r.sent}`);
  assert.equal(r.received, r.sent);
  assert.ok(r.durationMs >= 1900 && r.durationMs < 5000, `held for ${r.durationMs} ms`);
});

test('hold binds the source port it is given (a known 5-tuple)', T, async () => {
  const r = await client(['hold', '--host', '198.19.1.2', '--port', '9000', '--seconds', '1', '--interval-ms', '100', '--source-port', '65011']);
  assert.equal(r.localPort, 65011, JSON.stringify(r));
  assert.equal(r.ok, true, JSON.stringify(r));
  const bad = await client(['hold', '--host', '198.19.1.2', '--port', '9000', '--seconds', '1', '--source-port', '70000']).catch((error: Error) => error);
  assert.match(String((bad as Error).message ?? JSON.stringify(bad)), /--source-port must be an integer in 1\.\.65535/);
});

test('hold stops early on SIGTERM with a final report', T, async () => {
  const ready = join(tmp, 'hold6-ready');
  const child = spawnIn(
    topo.client.namespace,
    process.execPath,
    [CLIENT, 'hold', '--host', '2001:db8:1:1::2', '--port', '9000', '--seconds', '30', '--interval-ms', '50', '--ready-file', ready, '--progress'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c) => (stdout += c));
  /* 'close': the report and every progress line have been read. */
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  /* --progress writes "received N" after each reply: stop it mid-stream, after its fifth. */
  const fiveReplies = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no fifth reply within 10 s: ${stderr}`)), 10_000);
    child.stderr!.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
      if (/^received 5$/m.test(stderr)) clearTimeout(timer), resolve();
    });
    child.once('close', () => (clearTimeout(timer), reject(new Error(`hold ended before its fifth reply: ${stderr}`))));
  });
  fiveReplies.catch(() => {}); // awaited below; this only stops an early failure from going unhandled
  try {
    const deadline = Date.now() + 10_000;
    while (!existsSync(ready) && child.exitCode === null && Date.now() < deadline) await sleep(20);
    assert.ok(existsSync(ready), 'hold never became ready');
    await fiveReplies;
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  const r = JSON.parse(stdout);
  const progress = stderr.trim().split('\n');
  assert.deepEqual(
    progress,
    Array.from({ length: r.received }, (_, i) => `received ${i + 1}`),
    'one progress line per reply, and nothing else',
  );
  assert.equal(r.stoppedBy, 'SIGTERM');
  assert.equal(r.backend, 'be1');
  assert.equal(r.broken, false, JSON.stringify(r));
  assert.ok(r.sent > 0 && r.received === r.sent, JSON.stringify(r));
  assert.ok(r.durationMs < 5000);
});

test('a backend server exits cleanly on SIGTERM', T, async () => {
  const pidPath = join(tmp, 'extra.pid');
  const server = spawnIn(
    topo.backends[0]!.namespace,
    process.execPath,
    [SERVER, '--name', 'extra', '--http-port', '18080', '--tcp-port', '19000', '--udp-port', '19001', '--pid-file', pidPath],
    { stdio: 'ignore' },
  );
  const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
  try {
    const deadline = Date.now() + 10_000;
    while (!existsSync(pidPath) && server.exitCode === null && Date.now() < deadline) await sleep(20);
    assert.ok(existsSync(pidPath), 'server never became ready');
    const r = await client(['http', '--url', `http://${topo.backends[0]!.ipv4}:18080/`, '--count', '2', '--keepalive']);
    assert.deepEqual(r.byBackend, { extra: 2 });
    server.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.equal(existsSync(pidPath), false, 'pid file removed on exit');
  } finally {
    if (server.exitCode === null) server.kill('SIGKILL');
  }
});

test('status reports the testbed up, and so does the CLI', T, async () => {
  const s = await status({ prefix: PREFIX });
  assert.equal(s.up, true);
  assert.ok(s.namespaceState.every((n) => n.exists));
  assert.ok(s.servers.every((srv) => srv.alive && srv.pid));
  const cli = await run(process.execPath, ['--import', 'tsx', CLI, 'status', '--prefix', PREFIX]);
  assert.equal(cli.code, 0, cli.stderr);
  assert.equal(JSON.parse(cli.stdout).up, true);
});

test('up twice works and replaces the servers', T, async () => {
  const oldPids = (await status({ prefix: PREFIX })).servers.map((s) => s.pid);
  topo = await up({ prefix: PREFIX, backends: 3 });
  const s = await status({ prefix: PREFIX });
  assert.equal(s.up, true);
  assert.notDeepEqual(
    s.servers.map((x) => x.pid),
    oldPids,
  );
  for (const pid of oldPids) assert.ok(!existsSync(`/proc/${pid}/cmdline`) || !readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('backend-server'));
  const r = await client(['http', '--url', 'http://198.19.3.2:8080/', '--count', '3']);
  assert.deepEqual(r.byBackend, { be3: 3 });
});

test('a failing up tears down what it made and names the failing command', T, async () => {
  await assert.rejects(up({ prefix: FAIL_PREFIX, backends: 1, serverScript: '/nonexistent/backend-server.mjs' }), (err: Error) => {
    assert.match(err.message, /backend server be1 did not start/);
    assert.ok(err.message.includes(`ip netns exec ${FAIL_PREFIX}-be1 `), err.message);
    return true;
  });
  assert.deepEqual(await ours(FAIL_PREFIX), []);
});

test('a missing prerequisite is named', T, () => {
  const saved = process.env.PATH;
  process.env.PATH = '/nonexistent';
  try {
    assert.throws(() => checkPrerequisites(), /missing prerequisite: "ip"[\s\S]*"ethtool"[\s\S]*"node"/);
    assert.throws(
      () => checkPrerequisites(),
      (err: Error) => !err.message.includes('bird'),
    );
    assert.throws(() => checkPrerequisites({ bgp: true }), /"node"[\s\S]*"bird"[\s\S]*Debian package bird2[\s\S]*"birdc"[\s\S]*"setpriv"/);
  } finally {
    process.env.PATH = saved;
  }
});

test('down removes every namespace and server; a second down is harmless', T, async () => {
  const pids = (await status({ prefix: PREFIX })).servers.map((s) => s.pid!);
  // A process left inside a namespace (say, an agent) would keep it alive; down ends it.
  const straggler = spawnIn(topo.lb.namespace, process.execPath, ['-e', "process.stdout.write('running\\n'); setTimeout(() => {}, 30_000)"], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  /* Its first output: node runs, so ip netns exec has put it in the namespace. */
  await once(straggler.stdout!, 'data');
  const first = await down({ prefix: PREFIX });
  assert.ok(first.killedPids.includes(straggler.pid!), `straggler ${straggler.pid} not killed: ${first.killedPids}`);
  assert.equal(first.removedNamespaces.length, 5);
  assert.deepEqual(await ours(PREFIX), []);
  for (const pid of pids) assert.ok(!existsSync(`/proc/${pid}/cmdline`) || !readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('backend-server'));
  assert.equal(await rootLinks(), rootLinksBefore);
  const second = await down({ prefix: PREFIX });
  assert.deepEqual(second.removedNamespaces, []);
  assert.equal((await status({ prefix: PREFIX })).up, false);
  const cli = await run(process.execPath, ['--import', 'tsx', CLI, 'status', '--prefix', PREFIX], {});
  assert.equal(cli.code, 1, 'CLI status exits non-zero when the testbed is down');
});
