/*
 * Issue 12's failover tests: three balancer nodes behind the router's ECMP,
 * each its own real agent and BIRD (support/ecmp-failover.ts), three backends
 * in dsr and ipip, services in maglev (dsr, ipip) and source hash (dsr). Held
 * connections are spread evenly over the nodes (support/held-connections.ts)
 * and exchange a line every 100 ms while new connections keep coming:
 *   1. a node dies (SIGKILL of its agent, its program detached): no held
 *      connection breaks, >= 99.9% of new ones succeed, the router drops the
 *      node within the detection bound (measured);
 *   2. the node comes back on the same pins: no route before its agent is
 *      ready, and the connections ECMP moves back to it do not break;
 *   3. a node drains, then stops: nothing breaks, nothing fails;
 *   4. negative control: a node whose tables differ breaks the connections it
 *      takes over (so the tests above can fail).
 * A connection that moves to another node survives only because that node's
 * consistent hash picks the same backend for its mid-stream packets.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sluiceJson } from '@sluice/testbed/agent-process';
import { allConnections } from '@sluice/testbed/api-client';
import { birdc } from '@sluice/testbed/bird';
import { routerNextHops } from '@sluice/testbed/ecmp';
import { stopNodeAgent } from '@sluice/testbed/ecmp-agent';
import { tagged } from '@sluice/testbed/tag';
import { NetlinkMonitor } from '@sluice/testbed/netlink-monitor';
import {
  type FailoverNet,
  LINE,
  failoverDown,
  failoverUp,
  hopOf,
  killNode,
  routeChangedAfter,
  startAgent,
  targets,
  waitForRoute,
} from './support/ecmp-failover.ts';
import {
  type Held,
  PortCursor,
  closeHeld,
  describeBroken,
  describeHeld,
  lineFlows,
  newConnections,
  openHeld,
  pathsNow,
  stalled,
} from './support/held-connections.ts';

const PREFIX = tagged('slfo');
const T = { timeout: 180_000 };
/* Held connections per node and per target: 3 nodes x 3 targets x 4 = 36. */
const PER_NODE = 4;
/* New connections: 21 a second (7 per target) for 15 s (12 s around a drain). */
const NEW_PER_SECOND = 21;
const STREAM_SECONDS = 15;
/* BFD 100 ms x 3 declares a silent node down in ~300 ms: the router must have dropped it within a second. */
const DETECTION_BOUND_MS = 1_000;
const ROUTE_WAIT_MS = 30_000;
/* Replies each held connection must still get after an event (2 s at one per 100 ms). */
const AFTER_EVENT_REPLIES = 20;
const EXCHANGE_TIMEOUT_MS = 15_000;
const MIN_NEW_SUCCESS = 0.999;
/* The negative control: 2 nodes x 2 maglev targets x 8 connections; the node that returns hashes with another seed. */
const CONTROL_PER_NODE = 8;
const ODD_SEED = 7;
/* Time for every connection moved to the odd node to send a few lines there (one per 100 ms). */
const CONTROL_SETTLE_MS = 3_000;

const runRoot = mkdtempSync(join(tmpdir(), 'sluice-failover-'));
const ports = new PortCursor();
let net: FailoverNet | undefined;
/* Every held connection opened, stopped in after() whatever happened. */
const opened: Held[] = [];
/* Test 1's connections, kept open for test 2 (the node comes back). */
let survivors: Held[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ecmp = () => net!.ecmp;
const node = (name: string) => ecmp().nodes.find((n) => n.name === name)!;
const agentOf = (name: string) => {
  const a = net!.agents.get(name);
  assert.ok(a, `node ${name} has no running agent`);
  return a;
};
const vips = () => targets(ecmp()).map((t) => t.vip);

async function allNodesAnnounce(names: string[]): Promise<void> {
  const want = JSON.stringify(names.map((n) => hopOf(node(n))).sort());
  for (const vip of vips()) await waitForRoute(ecmp(), vip, (hops) => JSON.stringify(hops) === want, ROUTE_WAIT_MS);
}

async function open(nodes: string[]): Promise<Held[]> {
  return openHeldSpread(nodes, targets(ecmp()), PER_NODE);
}

async function openHeldSpread(nodes: string[], which: ReturnType<typeof targets>, perNode: number): Promise<Held[]> {
  const held = await openHeld(ecmp(), which, nodes, perNode, ports);
  opened.push(...held);
  return held;
}

/** Each node's flow table holds the connections the router sent it: every node carries its share. */
async function assertCarried(held: Held[], nodes: string[]): Promise<Record<string, number>> {
  const carried: Record<string, number> = {};
  const tables = new Map(nodes.map((name) => [name, lineFlows(agentOf(name))]));
  for (const name of nodes) {
    const mine = held.filter((h) => h.openedVia === name);
    const missing = mine.filter((h) => !tables.get(name)!.has(h.sourcePort));
    if (missing.length > 0) assert.fail(`${name}'s flow table lacks connections the router sent it:\n${await whereInstead(missing, tables)}`);
    carried[name] = mine.length;
    assert.ok(mine.length > 0, `node ${name} carries no held connection`);
  }
  return carried;
}

/* For a failure: where each connection is instead, where the router sends it now, and the router's sessions (a BFD flap moves paths). */
async function whereInstead(missing: Held[], tables: Map<string, ReturnType<typeof lineFlows>>): Promise<string> {
  const now = await pathsNow(ecmp(), missing);
  const lines = missing.map((h, k) => {
    const holders = [...tables].filter(([, flows]) => flows.has(h.sourcePort)).map(([name]) => name);
    return `  ${describeHeld(h)}: in the flow table of ${holders.join(', ') || 'no node'}; the router sends it via ${now[k]} now; alive ${h.hold.alive()}`;
  });
  const bird = ecmp().router.bird;
  const sessions = bird ? await birdc(bird.socket, 'show', 'protocols').catch((e: Error) => e.message) : 'no router BIRD';
  return `${lines.join('\n')}\nrouter sessions:\n${sessions}`;
}

/** The connections whose path changed, checked to be in their new node's flow table with traffic. */
function moves(held: Held[], before: string[], after: string[]) {
  const moved = held.flatMap((h, k) => (before[k] !== after[k] ? [{ held: h, from: before[k]!, to: after[k]! }] : []));
  const byRoute: Record<string, number> = {};
  for (const m of moved) byRoute[`${m.from}->${m.to}`] = (byRoute[`${m.from}->${m.to}`] ?? 0) + 1;
  return { moved, byRoute };
}

function assertInFlowTables(moved: { held: Held; to: string }[]): void {
  const tables = new Map<string, ReturnType<typeof lineFlows>>();
  for (const m of moved) {
    if (!tables.has(m.to)) tables.set(m.to, lineFlows(agentOf(m.to)));
    const flow = tables.get(m.to)!.get(m.held.sourcePort);
    assert.ok(flow && flow.packets > 0n, `${describeHeld(m.held)} moved to ${m.to}, which has no flow for it`);
  }
}

before(async () => {
  net = await failoverUp(PREFIX, runRoot);
  await allNodesAnnounce(['n1', 'n2', 'n3']);
});

after(async () => {
  await closeHeld(opened);
  await failoverDown(net, PREFIX);
  rmSync(runRoot, { recursive: true, force: true });
});

test(
  'a node dies (SIGKILL, program detached) under traffic: 0 held connections break, >= 99.9% of new ones succeed, the router drops it within 1 s',
  T,
  async () => {
    const all = ['n1', 'n2', 'n3'];
    const held = await open(all);
    const carried = await assertCarried(held, all);
    const before = await pathsNow(ecmp(), held);

    const stream = newConnections(ecmp(), targets(ecmp()), NEW_PER_SECOND, STREAM_SECONDS);
    await sleep(4_000);
    const victim = node('n3');
    /* The router's kernel stamps the route change itself; the polls only wait for it (and are printed beside it). */
    const routes = await NetlinkMonitor.start(ecmp().router.namespace, ['route']);
    const killedAt = Date.now();
    const dropped = Promise.all(vips().map((vip) => waitForRoute(ecmp(), vip, (hops) => !hops.includes(hopOf(victim)), ROUTE_WAIT_MS)));
    dropped.catch(() => {}); // awaited below; a kill that throws first must not leave it unhandled
    let polled: number[];
    try {
      await killNode(net!, victim);
      polled = (await dropped).map((r) => Math.round(r.ms));
    } finally {
      routes.stop();
    }
    const convergence = vips().map((vip) => Math.round(routeChangedAfter(routes, vip, killedAt)));
    const fresh = await stream;
    const stuck = await stalled(held, AFTER_EVENT_REPLIES, EXCHANGE_TIMEOUT_MS);

    const after = await pathsNow(ecmp(), held);
    const { moved, byRoute } = moves(held, before, after);
    console.log(
      `# dead node: held ${held.length} (per node ${JSON.stringify(carried)}), stalled ${stuck.length}; moved ${moved.length} ${JSON.stringify(byRoute)}; ` +
        `new ${fresh.succeeded}/${fresh.attempted} ${JSON.stringify(fresh.failures)}; router dropped n3 in ${convergence.join('/')} ms (its kernel's route notices; the polls saw it at ${polled.join('/')} ms)`,
    );
    assert.deepEqual(stuck, [], 'held connections that stopped exchanging after n3 died');
    assert.ok(
      held.every((h) => h.hold.alive()),
      'every held connection is still open',
    );
    for (const ms of convergence) assert.ok(ms < DETECTION_BOUND_MS, `router took ${ms} ms to drop the dead node; the bound is ${DETECTION_BOUND_MS} ms`);
    assert.equal(fresh.attempted, fresh.requested, 'every new connection the stream set out to open was attempted');
    assert.ok(
      fresh.succeeded / fresh.attempted >= MIN_NEW_SUCCESS,
      `new connections: ${fresh.succeeded}/${fresh.attempted}, ${JSON.stringify(fresh.failures)}`,
    );
    assert.ok(
      after.every((n) => n !== 'n3'),
      'no connection still routed to the dead node',
    );
    const fromVictim = moved.filter((m) => m.from === 'n3');
    assert.equal(fromVictim.length, carried.n3, 'every connection of n3 moved to a live node');
    assertInFlowTables(moved);
    survivors = held;
  },
);

test('the node comes back on its pins: no route to it before its agent is ready; connections ECMP moves back do not break', T, async () => {
  assert.ok(survivors.length > 0, 'needs the held connections of the dead-node test');
  const back = node('n3');
  const before = await pathsNow(ecmp(), survivors);

  /* Every 10 ms during start-up: does the router have a route to n3? (wall-clock times, to compare with the agent's log) */
  const polls: { start: number; end: number; routed: boolean }[] = [];
  let starting = true;
  let failed = false;
  const agentStart = startAgent(net!, back);
  agentStart.then(
    () => (starting = false),
    () => ((starting = false), (failed = true)), // thrown again by the await below
  );
  const deadline = Date.now() + ROUTE_WAIT_MS * 3;
  while ((starting || !polls.at(-1)?.routed) && !failed && Date.now() < deadline) {
    const start = Date.now();
    const routed = (await routerNextHops(ecmp(), vips()[0]!)).includes(hopOf(back));
    polls.push({ start, end: Date.now(), routed });
    if (!routed || starting) await sleep(10);
  }
  const agent = await agentStart;
  await allNodesAnnounce(['n1', 'n2', 'n3']);
  /* The agent logs this line the moment it marks itself ready (before that it withholds every route: "the agent is not ready yet"). */
  const readyLine = /^(\S+) info\s+BGP: announcing each VIP with an eligible backend$/m.exec(agent.agent.output);
  assert.ok(readyLine, `the restarted agent never logged that it announces:\n${agent.agent.output}`);
  const readyAt = Date.parse(readyLine[1]!);
  const early = polls.filter((p) => p.routed && p.end < readyAt);
  const watched = polls.filter((p) => p.end < readyAt).length;
  const firstRouted = polls.find((p) => p.routed);
  console.log(
    `# comeback: ${polls.length} polls of the router during start-up, ${watched} before the agent was ready; ` +
      `route to n3 first seen ${firstRouted ? firstRouted.end - readyAt : '-'} ms after the agent marked itself ready`,
  );
  assert.ok(watched > 0, 'the router was not polled while the agent started: the check proves nothing');
  assert.deepEqual(
    early.map((p) => new Date(p.end).toISOString()),
    [],
    `the router had a route to n3 before its agent was ready (${readyLine[1]})`,
  );
  assert.ok(firstRouted, `the router never got a route to n3`);

  const flowsAtStart = lineFlows(agentOf('n3'));
  const stuck = await stalled(survivors, AFTER_EVENT_REPLIES, EXCHANGE_TIMEOUT_MS);
  const after = await pathsNow(ecmp(), survivors);
  const { moved, byRoute } = moves(survivors, before, after);
  const outcomes = await closeHeld(survivors);
  const broken = describeBroken(outcomes);
  const backToN3 = moved.filter((m) => m.to === 'n3');
  const flowsNow = lineFlows(agentOf('n3'));
  console.log(
    `# comeback: held ${survivors.length}, moved ${moved.length} ${JSON.stringify(byRoute)} (${backToN3.filter((m) => m.held.openedVia === 'n3').length} of them back where they opened), broken ${broken.length}`,
  );
  assert.deepEqual(stuck, [], 'held connections that stopped exchanging after n3 came back');
  assert.deepEqual(broken, [], 'held connections broken over the death and return of n3');
  assert.ok(backToN3.length > 0, 'ECMP moved no connection to n3: the test proves nothing');
  for (const m of backToN3) {
    const now = flowsNow.get(m.held.sourcePort);
    const was = flowsAtStart.get(m.held.sourcePort)?.packets ?? 0n;
    assert.ok(now && now.packets > was, `${describeHeld(m.held)} moved back to n3 but n3 forwarded none of its packets`);
  }
});

test('a node drains (`sluice node drain`), then stops: 0 held connections break, 0 new ones fail; its connections move to the others', T, async () => {
  const all = ['n1', 'n2', 'n3'];
  const held = await open(all);
  const carried = await assertCarried(held, all);
  const before = await pathsNow(ecmp(), held);
  const drained = agentOf('n2');

  const stream = newConnections(ecmp(), targets(ecmp()), NEW_PER_SECOND, 12);
  await sleep(3_000);
  const withdrawn = Promise.all(vips().map((vip) => waitForRoute(ecmp(), vip, (hops) => !hops.includes(hopOf(drained.node)), ROUTE_WAIT_MS)));
  withdrawn.catch(() => {}); // awaited below
  const drainStarted = performance.now();
  /* The drain ends by itself once the router sends n2 nothing (3 s without forwarding), long before this timeout. */
  const drain = await sluiceJson(drained.network, ['node', 'drain', '--timeout', '60s'], 90_000);
  const drainMs = Math.round(performance.now() - drainStarted);
  const withdrawMs = (await withdrawn).map((r) => Math.round(r.ms));
  await stopNodeAgent(drained);
  net!.agents.delete('n2');
  const fresh = await stream;
  const stuck = await stalled(held, AFTER_EVENT_REPLIES, EXCHANGE_TIMEOUT_MS);
  const after = await pathsNow(ecmp(), held);
  const { moved, byRoute } = moves(held, before, after);
  assertInFlowTables(moved);
  const outcomes = await closeHeld(held);
  const broken = describeBroken(outcomes);
  console.log(
    `# drain: held ${held.length} (per node ${JSON.stringify(carried)}); n2 withdrawn in ${withdrawMs.join('/')} ms, drain ended ${drain.drainPhase} after ${drainMs} ms with ${drain.activeFlows} open flows left behind; ` +
      `moved ${moved.length} ${JSON.stringify(byRoute)}; broken ${broken.length}; new ${fresh.succeeded}/${fresh.attempted} ${JSON.stringify(fresh.failures)}`,
  );
  assert.equal(drain.drainPhase, 'quiet', 'the drain ends because nothing reaches n2 any more, not by its timeout');
  assert.ok(drainMs < 60_000, `the drain took ${drainMs} ms`);
  assert.deepEqual(stuck, [], 'held connections that stopped exchanging after n2 drained');
  assert.deepEqual(broken, [], 'held connections broken by the drain');
  assert.equal(fresh.attempted, fresh.requested, 'every new connection the stream set out to open was attempted');
  assert.equal(fresh.succeeded, fresh.attempted, `new connections failed during the drain: ${JSON.stringify(fresh.failures)}`);
  assert.equal(moved.filter((m) => m.from === 'n2').length, carried.n2, 'every connection of n2 moved to another node');
});

test('negative control: a node whose tables differ (another --hash-seed) breaks the connections it takes over', T, async () => {
  /* n2 is down (the drain test stopped it): the connections open over n1 and n3 only, and ECMP moves about a third to n2 when it returns. */
  const maglev = targets(ecmp()).filter((t) => t.algorithm === 'maglev');
  const held = await openHeldSpread(['n1', 'n3'], maglev, CONTROL_PER_NODE);
  const before = await pathsNow(ecmp(), held);
  const odd = await startAgent(net!, node('n2'), { extraArgs: ['--hash-seed', String(ODD_SEED)] });
  await allNodesAnnounce(['n1', 'n2', 'n3']);
  await sleep(CONTROL_SETTLE_MS);
  const after = await pathsNow(ecmp(), held);
  const { moved } = moves(held, before, after);
  /* The backend n2 chose for each connection it took over, from its own flow table (before the clients close). */
  const flows = await allConnections(odd.network, { protocol: 'tcp' });
  const nameOf = (address: string) => ecmp().backends.find((b) => b.ipv4 === address)?.name ?? address;
  const chosen = new Map(flows.filter((f) => f.vipPort === LINE).map((f) => [f.clientPort, nameOf(f.backendAddress)]));
  const outcomes = await closeHeld(held);
  const brokenPorts = new Set(outcomes.filter((o) => !o.ok).map((o) => o.held.sourcePort));
  const toOdd = moved.filter((m) => m.to === 'n2');
  const elsewhere = toOdd.filter((m) => chosen.get(m.held.sourcePort) !== m.held.hold.backend);
  const brokenMoved = toOdd.filter((m) => brokenPorts.has(m.held.sourcePort));
  const brokenStayed = held.filter((h, k) => after[k] !== 'n2' && brokenPorts.has(h.sourcePort));
  console.log(
    `# negative control (n2 with --hash-seed ${ODD_SEED}): held ${held.length}, moved to n2 ${toOdd.length}, of which n2 sent ${elsewhere.length} to another backend; ` +
      `broken ${brokenPorts.size}: ${brokenMoved.length} of those moved to n2, ${brokenStayed.length} of the others`,
  );
  for (const m of toOdd) assert.ok(chosen.has(m.held.sourcePort), `${describeHeld(m.held)} moved to n2, which has no flow for it`);
  assert.ok(elsewhere.length > 0, 'n2 picked the same backend for every connection it took over: the control proves nothing');
  assert.deepEqual(
    brokenMoved.map((m) => describeHeld(m.held)).sort(),
    elsewhere
      .map((m) => m.held)
      .map(describeHeld)
      .sort(),
    'the connections that broke are exactly those n2 sent to another backend than the one that greeted them',
  );
  assert.deepEqual(brokenStayed.map(describeHeld), [], 'connections that stayed on n1 and n3 broke');
});
