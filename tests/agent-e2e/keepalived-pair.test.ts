/*
 * Issue 13, part 1: an active/standby pair with keepalived (VRRP). Two nodes
 * on one segment (testbed/ha.ts), each its real agent and real keepalived
 * running the shipped template (ops/keepalived/keepalived.conf.in), three NAT
 * backends, maglev and round robin. In order:
 *   1. election: n1 (priority 150) is master, n2 backup; both agents show
 *      their role (node.status, from keepalived's notify hooks); the VIPs and
 *      the backends' gateway are on n1 only; traffic flows through n1 only;
 *   2. the program detached on the master: `sluice node check` fails naming
 *      why, keepalived moves n1 to FAULT and n2 takes over; n1 comes back
 *      once its agent attaches again (and, priority 150, takes the VIPs back);
 *   3. planned switchover (n1's priority lowered below n2's, then raised
 *      again): 0 new connections fail, both ways;
 *   4. the master dies (SIGKILL of keepalived and agent, links down,
 *      program detached): n2 takes over within the bound (measured); >= 99.9% of
 *      new connections succeed; held maglev connections all survive; a held
 *      round-robin connection survives exactly when n2's hash picks the
 *      backend n1's turn had picked (no flow sync yet: the others break,
 *      counted and reported).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sluice, sluiceJson } from '@sluice/testbed/agent-process';
import { apiClient } from '@sluice/testbed/api-client';
import { type Hold, http, hold } from '@sluice/testbed/client-traffic';
import { reloadKeepalived } from '@sluice/testbed/keepalived';
import { execInChecked } from '@sluice/testbed/netns';
import { tagged } from '@sluice/testbed/tag';
import {
  HTTP,
  INSTANCE,
  LINE,
  LOWERED_PRIORITY,
  type Pair,
  type Target,
  keepalivedConfig,
  keepalivedHistory,
  killNode,
  pairDown,
  pairUp,
  startAgent,
  targets,
  vipHolder,
  waitForHolder,
  waitForRole,
} from './support/keepalived-pair.ts';

const PREFIX = tagged('slha');
const T = { timeout: 240_000 };
/*
 * keepalived declares a silent master down after 3 adverts plus a skew of
 * (256 - priority) / 256 adverts: with advert_int 0.5 s and n2 at 100, 1.8 s.
 * The bound leaves room for a loaded 2-core machine.
 */
const TAKEOVER_BOUND_MS = 3_000;
/* The check runs every 1 s and fails after 2 misses (the template): FAULT within ~3 s of a detach, and the election after it. */
const FAULT_BOUND_MS = 15_000;
const ELECTION_WAIT_MS = 30_000;
/* keepalived runs a notify hook (the full CLI) without waiting for it: on a loaded machine it can take seconds. */
const ROLE_WAIT_MS = 30_000;
/* Held connections per target (maglev, round robin). */
const HELD_PER_TARGET = 6;
/* New connections: 10 a second (5 per target) for 10 s. */
const NEW_PER_SECOND = 10;
const STREAM_SECONDS = 10;
const MIN_NEW_SUCCESS = 0.999;
const AFTER_EVENT_REPLIES = 20;
const EXCHANGE_TIMEOUT_MS = 15_000;
/* Held source ports above the client's ephemeral range (1024-65000): a known 5-tuple, never reused in a run. */
let nextHeldPort = 65_001;

const runRoot = mkdtempSync(join(tmpdir(), 'sluice-ha-'));
let pair: Pair | undefined;
const opened: Hold[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const net = (name: string) => pair!.nodes.get(name)!.network;
const nameOf = (address: string) => pair!.ha.backends.find((b) => b.ipv4 === address)?.name ?? address;

interface Held {
  target: Target;
  sourcePort: number;
  hold: Hold;
}

async function openHeld(perTarget: number): Promise<Held[]> {
  const held: Held[] = [];
  for (const target of targets(pair!.ha))
    for (let k = 0; k < perTarget; k++) {
      const sourcePort = nextHeldPort++;
      const h = await hold(pair!.ha.client, target.vip, LINE, { seconds: 300, intervalMs: 100, source: pair!.ha.client.ipv4, sourcePort });
      opened.push(h);
      held.push({ target, sourcePort, hold: h });
    }
  return held;
}

const describeHeld = (h: Held) => `${h.target.vip}:${LINE} (${h.target.algorithm}) sport ${h.sourcePort} to ${h.hold.backend}`;

/** Ends each connection; ok: never broken, every reply in order from the backend that greeted it. */
async function closeHeld(held: Held[]) {
  return Promise.all(
    held.map(async (h) => {
      const report = await h.hold.stop().catch(() => undefined);
      const ok = !!report && report.ok !== false && !report.broken && report.errors === 0 && report.received === report.sent && report.received > 0;
      return { held: h, report, ok };
    }),
  );
}

/** New HTTP connections to every target: one batch a second, bounded; every batch awaited. */
async function newConnections(perSecond: number, seconds: number) {
  const each = Math.max(1, Math.floor(perSecond / targets(pair!.ha).length));
  const batches: Promise<{ requested: number; attempted: number; succeeded: number; failures: Record<string, number> }>[] = [];
  for (let s = 0; s < seconds; s++) {
    for (const t of targets(pair!.ha))
      batches.push(
        http(pair!.ha.client, t.vip, HTTP, { count: each, concurrency: 1 }).then((r) => ({
          requested: each,
          attempted: r.succeeded + r.failed,
          succeeded: r.succeeded,
          failures: r.failures,
        })),
      );
    await sleep(1000);
  }
  const total = { requested: 0, attempted: 0, succeeded: 0, failures: {} as Record<string, number> };
  for (const r of await Promise.all(batches)) {
    total.requested += r.requested;
    total.attempted += r.attempted;
    total.succeeded += r.succeeded;
    for (const [reason, n] of Object.entries(r.failures)) total.failures[reason] = (total.failures[reason] ?? 0) + n;
  }
  return total;
}

/** The line-port flows a node's agent has, by client port: the backend it sends each to. */
async function lineBackends(name: string): Promise<Map<number, string>> {
  const flows = await sluiceJson(net(name), ['conns', '--protocol', 'tcp', '--limit', '1000']);
  return new Map(
    (flows.items as { clientPort: number; vipPort: number; backendAddress: string }[])
      .filter((f) => f.vipPort === LINE)
      .map((f) => [f.clientPort, nameOf(f.backendAddress)]),
  );
}

/** Packets the node's program forwarded to backends (sum over services), from the agent. */
async function forwarded(name: string): Promise<number> {
  const totals = await apiClient(net(name)).stats.totals.query();
  return totals.services.reduce((sum, s) => sum + s.packets, 0);
}

before(async () => {
  pair = await pairUp(PREFIX, runRoot);
  await waitForHolder(pair, 'n1', ELECTION_WAIT_MS);
});

after(async () => {
  console.log(`# keepalived's transitions:\n${keepalivedHistory(pair).replace(/^/gm, '#   ')}`);
  await Promise.all(opened.map((h) => h.stop().catch(() => undefined)));
  await pairDown(pair, PREFIX);
});

test('election: n1 is master and holds the VIPs alone, both agents show their role, traffic reaches only n1', T, async () => {
  await waitForRole(pair!, 'n1', 'master', ROLE_WAIT_MS);
  await waitForRole(pair!, 'n2', 'backup', ROLE_WAIT_MS);
  const status1 = await sluiceJson(net('n1'), ['node', 'status']);
  const status2 = await sluiceJson(net('n2'), ['node', 'status']);
  assert.equal(status1.vrrp.instance, INSTANCE);
  assert.equal(status2.vrrp.instance, INSTANCE);
  const human = await sluice(net('n1'), ['node', 'status']);
  assert.match(human.stdout, new RegExp(`^vrrp: MASTER of instance ${INSTANCE} since `, 'm'));
  const { byNode } = await vipHolder(pair!);
  assert.deepEqual(byNode.n1!.sort(), [...pair!.ha.vips, pair!.ha.gateway.ipv4].sort());
  assert.deepEqual(byNode.n2, []);
  /* The audit log holds each agent's role change as the system's own entry. */
  const audit = await sluiceJson(net('n2'), ['audit', '--limit', '50']);
  const roles = (audit.items as { action: string; actor: string; after: { role: string } }[]).filter((e) => e.action === 'node.role');
  assert.ok(roles.length >= 1, `n2's audit log has no node.role entry: ${JSON.stringify(audit.items.slice(0, 5))}`);
  assert.ok(
    roles.every((e) => e.actor === 'sluice-agent'),
    JSON.stringify(roles),
  );
  assert.equal(roles[0]!.after.role, 'backup');
  for (const name of ['n1', 'n2']) {
    const check = await sluice(net(name), ['node', 'check']);
    assert.equal(check.code, 0, `node check on ${name}: ${check.stderr}`);
  }

  const before1 = await forwarded('n1');
  const before2 = await forwarded('n2');
  const answered = await http(pair!.ha.client, pair!.ha.vips[0]!, HTTP, { count: 30, concurrency: 3 });
  assert.equal(answered.succeeded, 30, JSON.stringify(answered.failures));
  assert.ok((await forwarded('n1')) - before1 >= 30 * 3, 'n1 forwarded the connections');
  assert.equal((await forwarded('n2')) - before2, 0, 'the backup forwarded a packet');
});

test(
  'the program detached on the master: `sluice node check` fails saying why, keepalived moves n1 to FAULT, n2 takes over; n1 returns once attached',
  T,
  async () => {
    const n1 = pair!.nodes.get('n1')!;
    const detachedAt = performance.now();
    await execInChecked(n1.node.namespace, 'ip', ['link', 'set', 'dev', 'eth0', 'xdp', 'off']);
    const check = await sluice(n1.network, ['node', 'check']);
    assert.notEqual(check.code, 0, 'node check passed with the program detached');
    assert.equal(check.stderr.trim().split('\n').length, 1, `one line: ${check.stderr}`);
    assert.match(check.stderr, /not attached on every balancer interface/);
    let takeoverMs: number | undefined;
    let sinceDetach: number | undefined;
    let answered: Awaited<ReturnType<typeof http>> | undefined;
    try {
      takeoverMs = Math.round(await waitForHolder(pair!, 'n2', FAULT_BOUND_MS));
      sinceDetach = Math.round(performance.now() - detachedAt);
      await waitForRole(pair!, 'n1', 'fault', ROLE_WAIT_MS);
      await waitForRole(pair!, 'n2', 'master', ROLE_WAIT_MS);
      answered = await http(pair!.ha.client, pair!.ha.vips[0]!, HTTP, { count: 20, concurrency: 2 });
    } finally {
      /* The agent attaches again when it starts (adopting its pins): the check passes, n1 (priority 150) takes the VIPs back. */
      await n1.agent!.stopAndTeardown();
      await startAgent(pair!, 'n1');
    }
    console.log(`# fault: n2 held the VIPs ${sinceDetach} ms after n1's program was detached; then ${answered!.succeeded}/20 new connections answered`);
    assert.equal(answered!.succeeded, 20, JSON.stringify(answered!.failures));
    const backMs = Math.round(await waitForHolder(pair!, 'n1', ELECTION_WAIT_MS));
    await waitForRole(pair!, 'n1', 'master', ROLE_WAIT_MS);
    await waitForRole(pair!, 'n2', 'backup', ROLE_WAIT_MS);
    console.log(`# fault: n1 held the VIPs again ${backMs} ms after its agent was ready (${takeoverMs} ms of waiting for n2 above)`);
    assert.equal((await sluice(n1.network, ['node', 'check'])).code, 0);
  },
);

test('planned switchover (n1 priority lowered below n2, then raised again): 0 new connections fail either way', T, async () => {
  const n1 = pair!.nodes.get('n1')!;
  const stream = newConnections(NEW_PER_SECOND, STREAM_SECONDS);
  await sleep(2_000);
  reloadKeepalived(n1.keepalived!, keepalivedConfig(pair!, 'n1', LOWERED_PRIORITY));
  const awayMs = Math.round(await waitForHolder(pair!, 'n2', ELECTION_WAIT_MS));
  await sleep(3_000);
  reloadKeepalived(n1.keepalived!, keepalivedConfig(pair!, 'n1'));
  const backMs = Math.round(await waitForHolder(pair!, 'n1', ELECTION_WAIT_MS));
  const fresh = await stream;
  console.log(
    `# switchover: n2 held the VIPs ${awayMs} ms after n1's reload, n1 again ${backMs} ms after the second; new ${fresh.succeeded}/${fresh.attempted} ${JSON.stringify(fresh.failures)}`,
  );
  assert.equal(fresh.attempted, fresh.requested, 'every new connection the stream set out to open was attempted');
  assert.equal(fresh.succeeded, fresh.attempted, `new connections failed: ${JSON.stringify(fresh.failures)}`);
  await waitForRole(pair!, 'n1', 'master', ROLE_WAIT_MS);
  await waitForRole(pair!, 'n2', 'backup', ROLE_WAIT_MS);
});

test(
  'the master dies (SIGKILL of keepalived and agent, links down, program detached): n2 takes over in time, new connections succeed, maglev connections survive',
  T,
  async () => {
    const held = await openHeld(HELD_PER_TARGET);
    const greetedVia = await lineBackends('n1');
    for (const h of held) assert.equal(greetedVia.get(h.sourcePort), h.hold.backend, `${describeHeld(h)}: n1's flow names another backend`);

    const stream = newConnections(NEW_PER_SECOND, STREAM_SECONDS);
    await sleep(3_000);
    const takeover = waitForHolder(pair!, 'n2', ELECTION_WAIT_MS);
    takeover.catch(() => {}); // awaited below
    await killNode(pair!, 'n1');
    const takeoverMs = Math.round(await takeover);
    const roleMs = Math.round(await waitForRole(pair!, 'n2', 'master', ROLE_WAIT_MS));
    const fresh = await stream;

    const maglev = held.filter((h) => h.target.algorithm === 'maglev');
    const roundRobin = held.filter((h) => h.target.algorithm === 'round-robin');
    /* Give every connection time to send a few lines to n2, then read which backend n2's hash chose for each. */
    await Promise.allSettled(held.map((h) => h.hold.exchanged(AFTER_EVENT_REPLIES, EXCHANGE_TIMEOUT_MS)));
    const chosen = await lineBackends('n2');
    const outcomes = await closeHeld(held);
    const broken = (list: Held[]) => outcomes.filter((o) => !o.ok && list.includes(o.held)).map((o) => o.held);
    const rrMoved = roundRobin.filter((h) => chosen.get(h.sourcePort) !== h.hold.backend);
    const reasons = outcomes
      .filter((o) => !o.ok)
      .map((o) => `${describeHeld(o.held)}: ${o.report?.brokenReason ?? ''} ${o.report?.errorSamples.slice(0, 2).join('; ') ?? 'no report'}`);
    if (reasons.length) console.log(`# broken: ${reasons.join('\n#   ')}`);
    const counters = Object.entries((await apiClient(net('n2')).stats.totals.query()).global).filter(([, n]) => n > 0);
    console.log(`# n2's counters after the takeover: ${JSON.stringify(Object.fromEntries(counters))}`);
    console.log(
      `# dead master: n2 held the VIPs ${takeoverMs} ms after the kill began (advert_int 0.5 s), its agent showed master ${roleMs} ms later; ` +
        `new ${fresh.succeeded}/${fresh.attempted} ${JSON.stringify(fresh.failures)}; held maglev ${maglev.length}, broken ${broken(maglev).length}; ` +
        `held round robin ${roundRobin.length}, broken ${broken(roundRobin).length} (n2's hash picked another backend for ${rrMoved.length})`,
    );
    assert.ok(takeoverMs < TAKEOVER_BOUND_MS, `n2 took ${takeoverMs} ms to take the VIPs; the bound is ${TAKEOVER_BOUND_MS} ms`);
    assert.equal(fresh.attempted, fresh.requested, 'every new connection the stream set out to open was attempted');
    assert.ok(
      fresh.succeeded / fresh.attempted >= MIN_NEW_SUCCESS,
      `new connections: ${fresh.succeeded}/${fresh.attempted}, ${JSON.stringify(fresh.failures)}`,
    );
    for (const h of held) assert.ok(chosen.has(h.sourcePort), `${describeHeld(h)}: n2 has no flow for it (it never reached n2)`);
    assert.deepEqual(broken(maglev).map(describeHeld), [], 'maglev connections broken by the takeover');
    /* Round robin without flow sync: n2 steers a mid-stream packet by the hash, so only the connections whose hash lands on their backend live on. */
    assert.deepEqual(
      broken(roundRobin).map(describeHeld).sort(),
      rrMoved.map(describeHeld).sort(),
      'round-robin connections broken are exactly those n2 sent elsewhere',
    );
  },
);
