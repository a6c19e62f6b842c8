/*
 * Issue 13: an active/standby pair with keepalived (VRRP) and flow sync. Two
 * nodes on one segment (testbed/ha.ts), each its real agent (syncing flows
 * with the other over the front segment, one shared key) and real keepalived
 * running the shipped template (ops/keepalived/keepalived.conf.in), three
 * backends; every algorithm in nat (round robin, weighted, least
 * connections, source hash, maglev) and round robin in dsr. In order:
 *   1. election: n1 (priority 150) is master, n2 backup; both agents show
 *      their role (node.status, from keepalived's notify FIFO); the VIPs and
 *      the backends' gateway are on n1 only; traffic flows through n1 only;
 *   2. the program detached on the master: `sluice node check` fails naming
 *      why, keepalived moves n1 to FAULT and n2 takes over; n1 comes back
 *      once its agent attaches again (and, priority 150, takes the VIPs back);
 *   3. planned switchover (n1's priority lowered below n2's, then raised
 *      again): 0 held connections broken, 0 new connections failed, both ways;
 *   4. the master dies (SIGKILL of keepalived and agent, links down,
 *      program detached): n2 takes over within the bound (measured); >= 99.9% of
 *      new connections succeed; 0 held connections of any algorithm or mode
 *      break: n2 had each one's flow, on the same backend, before the kill;
 *   5. the old master returns (rebooted: no VIPs left on it): it resyncs
 *      from n2 before its check passes, takes the VIPs back (priority 150):
 *      0 held connections broken, 0 new connections failed;
 *   6. a node without the key sends sync frames: refused, counted (node
 *      status, CLI), nothing written.
 * The sync lag (n2 as backup: event on n1 -> entry on n2) is printed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { sluice, sluiceJson } from '@sluice/testbed/agent-process';
import { apiClient } from '@sluice/testbed/api-client';
import { http } from '@sluice/testbed/client-traffic';
import { reloadKeepalived } from '@sluice/testbed/keepalived';
import { execIn, execInChecked } from '@sluice/testbed/netns';
import { tagged } from '@sluice/testbed/tag';
import {
  HTTP,
  INSTANCE,
  LINE,
  LOWERED_PRIORITY,
  type Pair,
  SLUICE_BIN,
  SYNC_PORT,
  keepalivedConfig,
  keepalivedHistory,
  agentLines,
  pairAgentLines,
  killNode,
  pairDown,
  pairUp,
  startAgent,
  startKeepalivedOn,
  targets,
  vipHolder,
  waitForHolder,
  waitForRole,
  vipsAddedAfter,
} from '@sluice/testbed/ha-pair';
import { NetlinkMonitor } from '@sluice/testbed/netlink-monitor';
import { SignalTrace, monotonicMs } from '@sluice/testbed/signal-trace';
import { pairTraffic } from './support/pair-traffic.ts';

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
/* keepalived writes a role to the agent's notify FIFO at once; the bound is for an agent whose thread a loaded machine starves. */
const ROLE_WAIT_MS = 30_000;
/* Held connections per target (six targets: 12 in all, each a client process, on a shared 2-core machine). */
const HELD_PER_TARGET = 2;
/* New connections: 12 a second (2 per target) for 10 s. */
const NEW_PER_SECOND = 12;
/*
 * The dead master's stream: 18 a second per target, 1,080 in all, so that
 * ">= 99.9% succeed" is a measurement: with 120, a single failure reads 99.2%.
 * What can fail is a connection whose handshake the master completed in the
 * last milliseconds before it died, before its flow event reached the backup
 * (drained when the program wakes the reader, on the agent's main thread, later when that is busy):
 * the backup then steers its next packet by the consistent hash, maybe to
 * another backend, which resets it.
 */
const DEAD_MASTER_PER_SECOND = 108;
const STREAM_SECONDS = 10;
const MIN_NEW_SUCCESS = 0.999;
const AFTER_EVENT_REPLIES = 20;
const EXCHANGE_TIMEOUT_MS = 15_000;

const FORGER = fileURLToPath(new URL('./support/sync-forger.ts', import.meta.url));
const runRoot = mkdtempSync(join(tmpdir(), 'sluice-ha-'));
let pair: Pair | undefined;
/* Who sent each SIGKILL, SIGTERM and SIGSTOP (CI once saw n2's node check die of a SIGKILL at n1's kill, cause unknown). */
let signals: SignalTrace | string = 'no signal trace yet';
const { opened, net, openHeld, describeHeld, waitSynced, brokenOf, syncStatus, closeHeld, newConnections, addressesOnAll, lineBackends, forwarded } =
  pairTraffic(() => pair!);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/* A failed bound's message carries why (CI may print only the assertion): the node's last keepalived transitions and node check verdicts. */
const lastWords = (name: string) =>
  `its keepalived last: ${keepalivedHistory(pair)
    .split('\n')
    .filter((l) => l.startsWith(`${name} `))
    .slice(-8)
    .join(' | ')}; its agent's node check and stalls: ${agentLines(pair, name, ['node check', 'event loop stalled'], 6).join(' | ')}`;

before(async () => {
  signals = await SignalTrace.start(PREFIX);
  pair = await pairUp(PREFIX, runRoot);
  await waitForHolder(pair, 'n1', ELECTION_WAIT_MS);
});

after(async () => {
  console.log(`# keepalived's transitions:\n${keepalivedHistory(pair).replace(/^/gm, '#   ')}`);
  console.log(pairAgentLines(pair).replace(/^/gm, '#   '));
  if (typeof signals !== 'string') signals.stop();
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

test('planned switchover (n1 priority lowered below n2, then raised again): 0 held connections broken, 0 new connections failed either way', T, async () => {
  const n1 = pair!.nodes.get('n1')!;
  const held = await openHeld(HELD_PER_TARGET);
  const syncedMs = Math.round(await waitSynced('n2', held));
  const stream = newConnections(NEW_PER_SECOND, STREAM_SECONDS);
  await sleep(2_000);
  reloadKeepalived(n1.keepalived!, keepalivedConfig(pair!, 'n1', LOWERED_PRIORITY));
  const awayMs = Math.round(await waitForHolder(pair!, 'n2', ELECTION_WAIT_MS));
  await Promise.allSettled(held.map((h) => h.hold.exchanged(AFTER_EVENT_REPLIES, EXCHANGE_TIMEOUT_MS)));
  /* n2 forwards now: its new flows reach n1 before the way back (the stream's connections opened through n2). */
  await sleep(3_000);
  reloadKeepalived(n1.keepalived!, keepalivedConfig(pair!, 'n1'));
  const backMs = Math.round(await waitForHolder(pair!, 'n1', ELECTION_WAIT_MS));
  await Promise.allSettled(held.map((h) => h.hold.exchanged(AFTER_EVENT_REPLIES, EXCHANGE_TIMEOUT_MS)));
  const fresh = await stream;
  const broken = brokenOf(await closeHeld(held));
  const lag = (await syncStatus('n2')).lag;
  console.log(
    `# switchover: n2 had all ${held.length} held flows ${syncedMs} ms after they opened; n2 held the VIPs ${awayMs} ms after n1's reload, n1 again ${backMs} ms after the second; ` +
      `new ${fresh.succeeded}/${fresh.attempted} ${JSON.stringify(fresh.failures)} (slowest ${Math.round(fresh.slowestMs)} ms); held ${held.length}, broken ${broken.length}; ` +
      `sync lag on n2 (n1's event -> n2's entry): p50 ${lag.p50Ms} ms, p99 ${lag.p99Ms} ms, max ${lag.maxMs} ms over ${lag.samples} batches`,
  );
  if (broken.length) console.log(`# broken: ${broken.join('\n#   ')}`);
  assert.deepEqual(broken, [], 'held connections broken by the switchover');
  assert.equal(fresh.attempted, fresh.requested, 'every new connection the stream set out to open was attempted');
  assert.equal(fresh.succeeded, fresh.attempted, `new connections failed: ${JSON.stringify(fresh.failures)}`);
  await waitForRole(pair!, 'n1', 'master', ROLE_WAIT_MS);
  await waitForRole(pair!, 'n2', 'backup', ROLE_WAIT_MS);
});

test(
  'the master dies (SIGKILL of keepalived and agent, links down, program detached): n2 takes over in time, new connections succeed, 0 held connections of any algorithm break',
  T,
  async () => {
    const held = await openHeld(HELD_PER_TARGET);
    const greetedVia = await lineBackends('n1');
    for (const h of held) assert.equal(greetedVia.get(h.sourcePort), h.hold.backend, `${describeHeld(h)}: n1's flow names another backend`);
    const syncedMs = Math.round(await waitSynced('n2', held));
    const before = await syncStatus('n2');
    assert.equal(before.state, 'in-sync');

    const stream = newConnections(DEAD_MASTER_PER_SECOND, STREAM_SECONDS);
    await sleep(3_000);
    /* n2's kernel stamps the VIPs' arrival; the poll only waits for it. */
    const addresses = await NetlinkMonitor.start(pair!.nodes.get('n2')!.node.namespace, ['address']);
    const killedAt = Date.now();
    const killedAtMono = monotonicMs();
    const takeover = waitForHolder(pair!, 'n2', ELECTION_WAIT_MS);
    takeover.catch(() => {}); // awaited below
    let polledMs: number;
    try {
      await killNode(pair!, 'n1');
      polledMs = Math.round(await takeover);
    } finally {
      addresses.stop();
    }
    const takeoverMs = Math.round(vipsAddedAfter(pair!, addresses, killedAt));
    const roleMs = Math.round(await waitForRole(pair!, 'n2', 'master', ROLE_WAIT_MS));
    const fresh = await stream;

    await Promise.allSettled(held.map((h) => h.hold.exchanged(AFTER_EVENT_REPLIES, EXCHANGE_TIMEOUT_MS)));
    const chosen = await lineBackends('n2');
    const broken = brokenOf(await closeHeld(held));
    if (broken.length) console.log(`# broken: ${broken.join('\n#   ')}`);
    const after = await syncStatus('n2');
    const counters = Object.entries((await apiClient(net('n2')).stats.totals.query()).global).filter(([, n]) => n > 0);
    console.log(`# n2's counters after the takeover: ${JSON.stringify(Object.fromEntries(counters))}`);
    console.log(
      `# dead master: n2 had all ${held.length} held flows ${syncedMs} ms after they opened; n2 held the VIPs ${takeoverMs} ms after the kill began (its kernel's address notices; the poll saw it at ${polledMs} ms; advert_int 0.5 s), ` +
        `its agent showed master ${roleMs} ms later; sync state on n2 then: ${after.state}; ` +
        `new ${fresh.succeeded}/${fresh.attempted} ${JSON.stringify(fresh.failures)} ${JSON.stringify(fresh.failuresByTarget)} (slowest ${Math.round(fresh.slowestMs)} ms); held ${held.length} (${targets(pair!.ha).length} services x ${HELD_PER_TARGET}), broken ${broken.length}; ` +
        `sync lag on n2: p50 ${after.lag.p50Ms} ms, p99 ${after.lag.p99Ms} ms, max ${after.lag.maxMs} ms over ${after.lag.samples} batches`,
    );
    const sent = typeof signals === 'string' ? signals : signals.describe(killedAtMono - 3_000, killedAtMono).join(' | ');
    console.log(`# signals from 3 s before the kill (ms from it): ${sent}`);
    assert.ok(
      takeoverMs < TAKEOVER_BOUND_MS,
      `n2 took ${takeoverMs} ms to take the VIPs; the bound is ${TAKEOVER_BOUND_MS} ms; ${lastWords('n2')}; signals from 3 s before the kill: ${sent}`,
    );
    assert.equal(after.state, 'peer-dead', 'n2 knows its peer is dead');
    assert.equal(fresh.attempted, fresh.requested, 'every new connection the stream set out to open was attempted');
    assert.ok(
      fresh.succeeded / fresh.attempted >= MIN_NEW_SUCCESS,
      `new connections: ${fresh.succeeded}/${fresh.attempted}, ${JSON.stringify(fresh.failures)} by service ${JSON.stringify(fresh.failuresByTarget)}`,
    );
    for (const h of held) assert.equal(chosen.get(h.sourcePort), h.hold.backend, `${describeHeld(h)}: n2 sends it elsewhere`);
    assert.deepEqual(broken, [], 'held connections broken by the takeover');
  },
);

test('the old master returns (rebooted): it resyncs from n2 before it may take over, takes the VIPs back: 0 held broken, 0 new failed', T, async () => {
  const n1 = pair!.nodes.get('n1')!;
  const held = await openHeld(HELD_PER_TARGET);
  /* A rebooted machine: no VIP left on it, no pinned map or program (bpffs lives in memory), links up, then its agent and keepalived. */
  await execInChecked(n1.node.namespace, process.execPath, [SLUICE_BIN, 'teardown', '--interfaces', 'eth0,eth1', '--pin-dir', n1.network.pinDir]);
  for (const [ifname, addresses] of await addressesOnAll(n1.node.namespace))
    for (const address of addresses.filter((a) => pair!.ha.vips.includes(a) || a === pair!.ha.gateway.ipv4))
      await execInChecked(n1.node.namespace, 'ip', [
        'addr',
        'del',
        `${address}/${address === pair!.ha.gateway.ipv4 ? pair!.ha.gateway.prefixLength : 32}`,
        'dev',
        ifname,
      ]);
  for (const ifname of ['eth0', 'eth1']) await execInChecked(n1.node.namespace, 'ip', ['link', 'set', 'dev', ifname, 'up']);
  const startedAt = performance.now();
  await startAgent(pair!, 'n1');
  /* The stream from here: the VIPs move while it runs (a stream during the start only starves the starting agent on a 2-core machine). */
  const stream = newConnections(NEW_PER_SECOND, STREAM_SECONDS);
  await startKeepalivedOn(pair!, 'n1');
  const keepalivedStartedMs = performance.now() - startedAt;
  /* From the agent's start, as the resync's time below. */
  const backMs = Math.round(keepalivedStartedMs + (await waitForHolder(pair!, 'n1', ELECTION_WAIT_MS)));
  const status = await syncStatus('n1');
  await Promise.allSettled(held.map((h) => h.hold.exchanged(AFTER_EVENT_REPLIES, EXCHANGE_TIMEOUT_MS)));
  const chosen = await lineBackends('n1');
  const fresh = await stream;
  const broken = brokenOf(await closeHeld(held));
  if (broken.length) console.log(`# broken: ${broken.join('\n#   ')}`);
  console.log(
    `# return: n1 held the VIPs again ${backMs} ms after its agent started (resync into n1: ${status.inbound.resyncs} done, last at +${status.inbound.lastResyncAt ? Math.round(status.inbound.lastResyncAt - Date.now() + performance.now() - startedAt) : '?'} ms); ` +
      `new ${fresh.succeeded}/${fresh.attempted} ${JSON.stringify(fresh.failures)} (slowest ${Math.round(fresh.slowestMs)} ms); held ${held.length}, broken ${broken.length}`,
  );
  assert.ok(status.inbound.resyncs >= 1, 'n1 took the VIPs without a resync from n2');
  for (const h of held) assert.equal(chosen.get(h.sourcePort), h.hold.backend, `${describeHeld(h)}: n1 sends it elsewhere`);
  assert.deepEqual(broken, [], 'held connections broken by the return');
  assert.equal(fresh.attempted, fresh.requested, 'every new connection the stream set out to open was attempted');
  assert.equal(fresh.succeeded, fresh.attempted, `new connections failed: ${JSON.stringify(fresh.failures)}`);
  await waitForRole(pair!, 'n1', 'master', ROLE_WAIT_MS);
  await waitForRole(pair!, 'n2', 'backup', ROLE_WAIT_MS);
});

test('sync frames from a node without the key are refused, counted and change nothing', T, async () => {
  const target = pair!.nodes.get('n1')!;
  const before = await syncStatus('n1');
  const name = `${pair!.ha.vips[0]}:${LINE}/tcp ${pair!.ha.backends[0]!.ipv4}:${LINE}`;
  const forger = await execIn(pair!.ha.client.namespace, process.execPath, ['--import', 'tsx', FORGER, target.node.front.ipv4, String(SYNC_PORT), name]);
  assert.equal(forger.code, 0, forger.stderr);
  assert.deepEqual(JSON.parse(forger.stdout.trim()), { closed: true }, "n1 closed the forger's connection");
  const after = await syncStatus('n1');
  assert.equal(after.refused.total, before.refused.total + 1, JSON.stringify(after.refused));
  assert.equal(after.refused.byReason['bad-mac'], before.refused.byReason['bad-mac']! + 1);
  assert.match(after.refused.last!.from, new RegExp(`^${pair!.ha.client.ipv4.replace(/\./g, '\\.')}:\\d+$`));
  assert.equal((await lineBackends('n1')).has(40_000), false, 'the forged flow (client port 40000) is not in n1');
  assert.equal(after.state, 'in-sync', "n2's stream to n1 went on");
  assert.match(after.inbound.peerAddress ?? '', /^198\.18\.0\.12:\d+$/, "the stream n1 applies is n2's");
  const human = await sluice(net('n1'), ['node', 'status']);
  assert.match(
    human.stdout,
    new RegExp(`refused ${after.refused.total} frames \\(last from ${pair!.ha.client.ipv4.replace(/\./g, '\\.')}:\\d+ at .*: bad-mac\\)`),
  );
  assert.match(human.stdout, /^sync: IN-SYNC with peer 198\.18\.0\.12:7946/m);
});
