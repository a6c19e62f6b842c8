/*
 * Two balancer nodes, each with its own real agent and BIRD, behind the
 * router's ECMP (@sluice/testbed/ecmp, ecmp-agent): both announce the VIP, the
 * router spreads new connections over both (each agent counts some), every
 * request is answered by the one backend in dsr; SIGKILL of one agent takes
 * its node out of the router within a second (measured) and new requests
 * all go through the other. The ground the issue-12 failover tests stand on.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sluiceJson, sluiceOk } from '@sluice/testbed/agent-process';
import { http } from '@sluice/testbed/client-traffic';
import { type Ecmp, ecmpDown, ecmpUp, routerNextHops } from '@sluice/testbed/ecmp';
import { type NodeAgent, startNodeAgent, stopNodeAgent } from '@sluice/testbed/ecmp-agent';
import { tagged } from '@sluice/testbed/tag';

const PREFIX = tagged('slen');
const T = { timeout: 180_000 };
const CHECK = ['--check', 'tcp', '--check-interval', '500ms', '--check-timeout', '400ms', '--rise', '1', '--fall', '2'];
const ROUTE_WAIT_MS = 30_000;
/* New connections, each from a new source port: enough that both nodes get some (the split is the router's hash). */
const REQUESTS = 40;

const runRoot = mkdtempSync(join(tmpdir(), 'sluice-ecmp-nodes-'));
let ecmp: Ecmp;
const agents: NodeAgent[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const vip = () => ecmp.vips.ipv4[0]!;
const service = () => `${vip()}:${ecmp.backends[0]!.ports.http}/tcp`;

async function waitForHops(want: string[]): Promise<void> {
  const deadline = Date.now() + ROUTE_WAIT_MS;
  let hops = await routerNextHops(ecmp, vip());
  while (JSON.stringify(hops) !== JSON.stringify(want)) {
    if (Date.now() > deadline) assert.fail(`router next hops for ${vip()}: ${JSON.stringify(hops)}, not ${JSON.stringify(want)} within ${ROUTE_WAIT_MS} ms`);
    await sleep(50);
    hops = await routerNextHops(ecmp, vip());
  }
}

const newFlows = async (a: NodeAgent) =>
  ((await sluiceJson(a.network, ['stats'])).services as { service: string; newFlows: number }[]).find((s) => s.service === service())?.newFlows ?? 0;

before(async () => {
  ecmp = await ecmpUp({ prefix: PREFIX, nodes: 2, backends: 1 });
  for (const node of ecmp.nodes) {
    const a = await startNodeAgent(ecmp, node, runRoot);
    agents.push(a);
    await sluiceOk(a.network, ['service', 'add', service(), '--mode', 'dsr', ...CHECK]);
    await sluiceOk(a.network, ['backend', 'add', service(), `${ecmp.backends[0]!.ipv4}:${ecmp.backends[0]!.ports.http}`]);
  }
});

after(async () => {
  for (const a of agents) await stopNodeAgent(a);
  await ecmpDown({ prefix: PREFIX });
  rmSync(runRoot, { recursive: true, force: true });
});

test('both nodes announce the VIP and the router spreads new connections over both; all are answered', T, async () => {
  await waitForHops(ecmp.nodes.map((n) => n.uplink.ipv4).sort());
  const before = await Promise.all(agents.map(newFlows));
  const report = await http(ecmp.client, vip(), ecmp.backends[0]!.ports.http, { count: REQUESTS });
  const took = (await Promise.all(agents.map(newFlows))).map((n, k) => n - before[k]!);
  console.log(`# ${REQUESTS} connections: ${report.succeeded} answered; new flows per node ${took.join('/')}`);
  assert.equal(report.succeeded, REQUESTS, JSON.stringify(report));
  assert.deepEqual(report.byBackend, { be1: REQUESTS });
  assert.equal(
    took.reduce((a, b) => a + b, 0),
    REQUESTS,
    'each connection counted once, by the node the router chose',
  );
  for (const [k, n] of took.entries()) assert.ok(n > 0, `node n${k + 1} got none of ${REQUESTS}`);
});

test("SIGKILL of one node's agent: the router keeps only the other within a second, and every new connection is answered", T, async () => {
  const [, victim] = agents;
  const started = performance.now();
  await victim!.agent.kill();
  await waitForHops([ecmp.nodes[0]!.uplink.ipv4]);
  const tookMs = performance.now() - started;
  console.log(`# SIGKILL of n2's agent -> the router dropped n2 in ${tookMs.toFixed(0)} ms`);
  assert.ok(tookMs < 1_000, `took ${tookMs.toFixed(0)} ms, the bound is 1000 ms`);
  const report = await http(ecmp.client, vip(), ecmp.backends[0]!.ports.http, { count: REQUESTS });
  assert.equal(report.succeeded, REQUESTS, JSON.stringify(report));
});
