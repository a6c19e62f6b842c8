/*
 * Issue 16, one health view for the fleet: one node, elected through etcd,
 * checks the backends and publishes each up/down there; every node (the
 * checker too) applies the published result, never its own probe's, so the
 * nodes' tables flip together. Three nodes on one real etcd (Debian's): c1 in
 * a process of its own (so it can be SIGKILLed) and n2, n3 in this one, each
 * with a real HealthChecker probing loopback backends.
 *
 * - a backend's server stops: all three mark it down with the same published
 *   result (same checker, same observed-at); the spread is measured;
 * - the checker is SIGKILLed: another node checks within the lease's TTL, and
 *   a later flip still reaches every node;
 * - etcd stops: every node keeps the last published state; a backend that goes
 *   down meanwhile is seen by the checker's own probe and applied by no node.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { type Server, type Socket, createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { after, before, test } from 'node:test';
import { HealthChecker } from '@sluice/agent/health';
import { type TestAgent, startTestAgent } from '@sluice/agent/test-agent';
import { startEtcd, stopEtcd } from '@sluice/testbed/etcd';
import { FLEET_NAMESPACE, type FleetTestbed, fleetOf, fleetOption, startFleetTestbed, stopFleetTestbed, tableEndpoints, until } from './support/fleet.ts';

const T = { timeout: 180_000 };
/* fall 2 at 200 ms: a dead backend is down within about half a second of the checker's probes. */
const CHECK = { type: 'tcp' as const, intervalMs: 200, timeoutMs: 150, rise: 1, fall: 2 };
/* The registration and checker leases of the test fleet (support/fleet.ts fleetOption). */
const LEASE_TTL_MS = 2000;

/** A loopback backend the test stops and starts on the same port. */
class Backend {
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  port = 0;
  get endpoint() {
    return `127.0.0.1:${this.port}`;
  }
  start(): Promise<void> {
    const server = createServer((socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      socket.on('error', () => {});
      socket.end();
    });
    this.#server = server;
    return new Promise((resolve) =>
      server.listen(this.port, '127.0.0.1', () => {
        this.port = (server.address() as { port: number }).port;
        resolve();
      }),
    );
  }
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#sockets) s.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}

interface ChildChange {
  t: number;
  change: { service: string; endpoint: string; up: boolean };
  eligible: string[];
  table: string[];
  row: { up: boolean; checkedBy: string | null; lastCheckAt: number | null };
}

/** The fleet node in a process of its own (support/fleet-node-process.ts), its health flips as it printed them. */
class ChildNode {
  readonly changes: ChildChange[] = [];
  process: ChildProcess | undefined;
  pinDir = '';
  dataDir = '';
  static async start(socket: string, node: string): Promise<ChildNode> {
    const child = new ChildNode();
    const proc = spawn(process.execPath, ['--import', 'tsx', new URL('./support/fleet-node-process.ts', import.meta.url).pathname, socket, node], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.process = proc;
    const lines = createInterface({ input: proc.stdout! });
    await new Promise<void>((resolve, reject) => {
      proc.once('exit', (code) => reject(new Error(`${node} exited (${code}) before it was ready`)));
      lines.on('line', (line) => {
        const value = JSON.parse(line);
        if (value.ready) {
          child.pinDir = value.pinDir;
          child.dataDir = value.dataDir;
          resolve();
        } else if (value.change) child.changes.push(value);
      });
    });
    return child;
  }
  kill(): void {
    this.process?.kill('SIGKILL');
  }
  /** After the kill: its pins (a bpffs of its own) and store, which a dead process leaves behind. */
  cleanUp(): void {
    if (this.pinDir) {
      try {
        execFileSync('umount', [this.pinDir]);
        rmSync(this.pinDir, { recursive: true, force: true });
      } catch {}
    }
    if (this.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

let bed: FleetTestbed | undefined;
let c1: ChildNode | undefined;
let n2: TestAgent<HealthChecker>;
let n3: TestAgent<HealthChecker>;
const b1 = new Backend();
const b2 = new Backend();
let service = '';
const log: string[] = [];

const inFleet = (node: string) => startTestAgent(undefined, new HealthChecker(), { fleet: fleetOption(bed!, { node, log }) });
/** The backends a node gives new flows to: its API's eligible ones, checked against its maps' lookup table (they must agree). */
const eligibleOn = async (t: TestAgent<HealthChecker>) => {
  const eligible = (await t.as('viewer').services.get({ service })).backends
    .filter((b) => b.eligible)
    .map((b) => b.endpoint)
    .sort();
  assert.deepEqual(tableEndpoints(t as unknown as Parameters<typeof tableEndpoints>[0], service), eligible, 'the maps follow the health view');
  return eligible;
};
const rowOn = async (t: TestAgent<HealthChecker>, endpoint: string) => (await t.as('viewer').health.list({ service })).find((h) => h.endpoint === endpoint)!;

before(async () => {
  await b1.start();
  await b2.start();
  bed = await startFleetTestbed();
  /* c1 first: it finds no checker and becomes it. */
  c1 = await ChildNode.start(bed.etcd.socket, 'c1');
  n2 = await inFleet('n2');
  n3 = await inFleet('n3');
  await until('n2 sees c1 as the checker', async () => (await fleetOf(n2)).checker === 'c1');
  const created = await n2.as('admin').services.create({
    address: '198.18.100.1',
    port: 80,
    protocol: 'tcp',
    healthCheck: CHECK,
    backends: [
      { address: '127.0.0.1', port: b1.port },
      { address: '127.0.0.1', port: b2.port },
    ],
  });
  service = created.name;
  await until(
    'both backends up on n2 and n3, as c1 published',
    async () => (await eligibleOn(n2)).length === 2 && (await eligibleOn(n3)).length === 2 && (await rowOn(n3, b1.endpoint)).checkedBy === 'c1',
  );
});

after(async () => {
  c1?.kill();
  n2?.stop();
  n3?.stop();
  await new Promise((resolve) => setTimeout(resolve, 200));
  c1?.cleanUp();
  await stopFleetTestbed(bed);
  await b1.stop();
  await b2.stop();
  if (process.env.SLUICE_FLEET_LOG) console.log(log.join('\n'));
});

test('a backend stops: all three nodes mark it down with the same published result (spread measured)', T, async () => {
  const { checker } = await fleetOf(n2);
  assert.equal(checker, 'c1');
  assert.equal((await fleetOf(n3)).checker, 'c1');
  /* The non-checkers probe nothing: their own checkers have no targets. */
  assert.deepEqual(n2.health.status(), []);
  assert.deepEqual(n3.health.status(), []);

  const stopped = Date.now();
  await b1.stop();
  const applied: Record<string, number> = {};
  await until(
    'b1 out on n2, n3 and c1',
    async () => {
      for (const [name, t] of [
        ['n2', n2],
        ['n3', n3],
      ] as const)
        if (applied[name] === undefined && !(await eligibleOn(t)).includes(b1.endpoint)) applied[name] = Date.now();
      const c1Down = c1!.changes.find((c) => c.change.endpoint === b1.endpoint && !c.change.up);
      if (c1Down && applied.c1 === undefined) applied.c1 = c1Down.t;
      return Object.keys(applied).length === 3;
    },
    10_000,
  );
  const c1Down = c1!.changes.find((c) => c.change.endpoint === b1.endpoint && !c.change.up)!;
  assert.deepEqual(c1Down.eligible, [b2.endpoint], 'c1 sends new flows to b2 only');
  assert.deepEqual(c1Down.table, [b2.endpoint], "c1's lookup table holds b2 only");
  assert.deepEqual(await eligibleOn(n2), [b2.endpoint]);
  assert.deepEqual(await eligibleOn(n3), [b2.endpoint]);
  /* One result: the same checker and the same observed-at on every node. */
  const rows = [await rowOn(n2, b1.endpoint), await rowOn(n3, b1.endpoint), c1Down.row];
  for (const row of rows) {
    assert.equal(row.up, false);
    assert.equal(row.checkedBy, 'c1');
    assert.equal(row.lastCheckAt, rows[0]!.lastCheckAt);
  }
  const times = Object.values(applied);
  const spread = Math.max(...times) - Math.min(...times);
  console.log(
    `# b1 stopped: applied on c1 +${applied.c1! - stopped} ms, n2 +${applied.n2! - stopped} ms, n3 +${applied.n3! - stopped} ms; ` +
      `last node ${Math.max(...times) - stopped} ms after the stop, spread between nodes ${spread} ms (n2/n3 polled every ~5 ms)`,
  );
  /* The stop to the last node: the checker's fall x interval + timeout, then one etcd write and watch. */
  assert.ok(Math.max(...times) - stopped < 3000, `last node applied ${Math.max(...times) - stopped} ms after the stop`);
});

test('the checker is SIGKILLed: another node checks within the lease TTL, and a later flip reaches every node', T, async () => {
  const killed = performance.now();
  c1!.kill();
  const tookOver = await until(
    'n2 or n3 becomes the checker',
    async () => {
      const [a, b] = [await fleetOf(n2), await fleetOf(n3)];
      return a.checker !== null && a.checker !== 'c1' && a.checker === b.checker;
    },
    LEASE_TTL_MS * 3,
  );
  const checker = (await fleetOf(n2)).checker!;
  const checkerNode = checker === 'n2' ? n2 : n3;
  const other = checker === 'n2' ? n3 : n2;
  console.log(`# c1 SIGKILLed: ${checker} checks ${tookOver.toFixed(0)} ms later (lease TTL ${LEASE_TTL_MS} ms)`);
  assert.ok(performance.now() - killed <= LEASE_TTL_MS + 1000, `takeover ${tookOver.toFixed(0)} ms after the kill, TTL ${LEASE_TTL_MS} ms`);
  /* The new checker starts from the published state: b1 still down, nothing flipped by the takeover. */
  assert.deepEqual(await eligibleOn(n2), [b2.endpoint]);
  assert.deepEqual(await eligibleOn(n3), [b2.endpoint]);
  assert.equal(checkerNode.health.status().length, 2, 'the new checker probes both backends');
  assert.deepEqual(other.health.status(), [], 'the other node probes nothing');

  const started = Date.now();
  await b1.start();
  await until('b1 back on both nodes', async () => (await eligibleOn(n2)).length === 2 && (await eligibleOn(n3)).length === 2, 10_000);
  const [r2, r3] = [await rowOn(n2, b1.endpoint), await rowOn(n3, b1.endpoint)];
  assert.equal(r2.checkedBy, checker);
  assert.equal(r3.checkedBy, checker);
  assert.equal(r2.lastCheckAt, r3.lastCheckAt);
  console.log(`# b1 back: up on both remaining nodes ${Date.now() - started} ms after it listened again, checked by ${checker}`);
});

test('etcd stopped: every node keeps the last published state; a backend down meanwhile is flipped by no node; etcd back: applied by all', T, async () => {
  const checker = (await fleetOf(n2)).checker!;
  const checkerNode = checker === 'n2' ? n2 : n3;
  await stopEtcd(bed!.etcd);
  /* At once: the checker's own probe sees b2 fail (so the check ran) before its lease is given up, and no node applies it. */
  await b2.stop();
  await until('the checker probe sees b2 down', () => checkerNode.health.status().some((h) => h.endpoint === b2.endpoint && !h.up), 5000);
  await until('n2 sees the store unreachable', async () => !(await fleetOf(n2)).reachable);
  await new Promise((resolve) => setTimeout(resolve, 10 * CHECK.intervalMs));
  assert.deepEqual((await eligibleOn(n2)).sort(), [b1.endpoint, b2.endpoint].sort(), 'n2 keeps b2 as last published');
  assert.deepEqual((await eligibleOn(n3)).sort(), [b1.endpoint, b2.endpoint].sort(), 'n3 keeps b2 as last published');
  assert.equal((await rowOn(n2, b2.endpoint)).up, true);

  const restarted = Date.now();
  bed!.etcd = await startEtcd({ namespace: FLEET_NAMESPACE, dir: bed!.etcd.dir });
  await until('b2 out on both nodes once etcd is back', async () => (await eligibleOn(n2)).length === 1 && (await eligibleOn(n3)).length === 1, 30_000);
  assert.deepEqual(await eligibleOn(n2), [b1.endpoint]);
  assert.deepEqual(await eligibleOn(n3), [b1.endpoint]);
  console.log(`# etcd back: b2's down (seen during the outage) applied on both nodes ${Date.now() - restarted} ms after etcd restarted`);
});
