/*
 * Issue 16 end to end: three balancer nodes behind the router's ECMP, each its
 * own `sluice agent --store etcd+unix://...` process with its own BIRD, sharing
 * one desired state on a real etcd (Debian's) that the test starts in a
 * namespace of its own, reached through a unix socket only. The service and
 * its backends are added once, through n1's CLI: every node applies them and
 * announces the VIP, and new connections through every node are answered.
 * A backend put in maint through n3's CLI is then out on every node: new
 * connections through each node reach only the other backend. Convergence
 * ("converged 3 of 3 at revision R", `sluice fleet` from n2) is measured.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { FleetStatus } from '@sluice/api';
import { sluiceJson, sluiceOk } from '@sluice/testbed/agent-process';
import { http } from '@sluice/testbed/client-traffic';
import { type Ecmp, ecmpDown, ecmpUp, routerNextHops } from '@sluice/testbed/ecmp';
import { type NodeAgent, startNodeAgent, stopNodeAgent } from '@sluice/testbed/ecmp-agent';
import { type EtcdServer, ensureEtcdNamespace, removeEtcdNamespace, startEtcd, stopEtcd } from '@sluice/testbed/etcd';
import { tagged } from '@sluice/testbed/tag';

const PREFIX = tagged('slef');
const ETCD_NAMESPACE = tagged('slefe');
const T = { timeout: 240_000 };
const CHECK = ['--check', 'tcp', '--check-interval', '500ms', '--check-timeout', '400ms', '--rise', '1', '--fall', '2'];
const ROUTE_WAIT_MS = 30_000;
/* New connections, each from a new source port: enough that every node gets some (the split is the router's hash). */
const REQUESTS = 60;

const runRoot = mkdtempSync(join(tmpdir(), 'sluice-fleet-nodes-'));
let ecmp: Ecmp | undefined;
let etcd: EtcdServer | undefined;
const agents: NodeAgent[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const vip = () => ecmp!.vips.ipv4[0]!;
const port = () => ecmp!.backends[0]!.ports.http;
const service = () => `${vip()}:${port()}/tcp`;
const endpoint = (k: number) => `${ecmp!.backends[k]!.ipv4}:${port()}`;

async function waitForHops(want: string[]): Promise<void> {
  const deadline = Date.now() + ROUTE_WAIT_MS;
  let hops = await routerNextHops(ecmp!, vip());
  while (JSON.stringify(hops) !== JSON.stringify(want)) {
    if (Date.now() > deadline) assert.fail(`router next hops for ${vip()}: ${JSON.stringify(hops)}, not ${JSON.stringify(want)} within ${ROUTE_WAIT_MS} ms`);
    await sleep(50);
    hops = await routerNextHops(ecmp!, vip());
  }
}

const newFlows = async (a: NodeAgent) =>
  ((await sluiceJson(a.network, ['stats'])).services as { service: string; newFlows: number }[]).find((s) => s.service === service())?.newFlows ?? 0;

/** New connections through the router: answers by backend, and how many each node took. */
async function traffic(): Promise<{ byBackend: Record<string, number>; perNode: number[]; succeeded: number }> {
  const before = await Promise.all(agents.map(newFlows));
  const report = await http(ecmp!.client, vip(), port(), { count: REQUESTS });
  const perNode = (await Promise.all(agents.map(newFlows))).map((n, k) => n - before[k]!);
  return { byBackend: report.byBackend, perNode, succeeded: report.succeeded };
}

/** Asks `sluice fleet` (a CLI process each time) until it says 3 of 3; ms includes the CLI calls, calls counts them. */
async function converged(at: NodeAgent, timeoutMs = 20_000): Promise<{ status: FleetStatus; ms: number; calls: number }> {
  const started = performance.now();
  for (let calls = 1; ; calls++) {
    const status = await sluiceJson<FleetStatus>(at.network, ['fleet']);
    if (status.reachable && status.nodes.length === 3 && status.converged === 3) return { status, ms: performance.now() - started, calls };
    if (performance.now() - started > timeoutMs) assert.fail(`not converged within ${timeoutMs} ms: ${JSON.stringify(status)}`);
    await sleep(20);
  }
}

before(async () => {
  await ensureEtcdNamespace(ETCD_NAMESPACE);
  etcd = await startEtcd({ namespace: ETCD_NAMESPACE, dir: join(runRoot, 'etcd') });
  ecmp = await ecmpUp({ prefix: PREFIX, nodes: 3, backends: 2 });
  for (const node of ecmp.nodes) agents.push(await startNodeAgent(ecmp, node, runRoot, ['--store', etcd.storeUrl, '--node-name', node.name]));
});

after(async () => {
  for (const a of agents) await stopNodeAgent(a);
  if (ecmp) await ecmpDown({ prefix: PREFIX });
  if (etcd) await stopEtcd(etcd);
  await removeEtcdNamespace(ETCD_NAMESPACE);
  rmSync(runRoot, { recursive: true, force: true });
});

test('a service added once through n1 is applied and announced by all three nodes; every node forwards to both backends', T, async () => {
  const [n1, n2] = agents as [NodeAgent, NodeAgent, NodeAgent];
  await sluiceOk(n1.network, ['service', 'add', service(), '--mode', 'dsr', '--algorithm', 'maglev', ...CHECK]);
  const started = performance.now();
  await sluiceOk(n1.network, ['backend', 'add', service(), endpoint(0)]);
  const added = await sluiceOk(n1.network, ['backend', 'add', service(), endpoint(1)]);
  const { status, ms } = await converged(n2);
  /* The changing command itself waited for the fleet and said so: at the revision the fleet is at now. */
  assert.match(added, new RegExp(`^converged 3 of 3 at revision ${status.revision}$`, 'm'), `backend add printed: ${added}`);
  console.log(
    `# converged ${status.converged} of ${status.nodes.length} at revision ${status.revision}, ${(performance.now() - started).toFixed(0)} ms after the first backend add began (${ms.toFixed(0)} ms after the last returned)`,
  );
  console.log((await sluiceOk(n2.network, ['fleet'])).trimEnd().replace(/^/gm, '# '));
  await waitForHops(ecmp!.nodes.map((n) => n.uplink.ipv4).sort());
  const report = await traffic();
  console.log(
    `# ${REQUESTS} connections: ${report.succeeded} answered, by backend ${JSON.stringify(report.byBackend)}, new flows per node ${report.perNode.join('/')}`,
  );
  assert.equal(report.succeeded, REQUESTS);
  assert.ok((report.byBackend.be1 ?? 0) > 0 && (report.byBackend.be2 ?? 0) > 0, 'both backends answer');
  for (const [k, n] of report.perNode.entries()) assert.ok(n > 0, `node n${k + 1} forwarded none of ${REQUESTS}`);
});

test('a backend put in maint through n3 is out on every node: new connections through each reach only the other', T, async () => {
  const [, n2, n3] = agents as [NodeAgent, NodeAgent, NodeAgent];
  const started = performance.now();
  const maint = await sluiceOk(n3.network, ['backend', 'maint', service(), endpoint(1)]);
  const returned = performance.now() - started;
  const { status, ms } = await converged(n2);
  assert.match(maint, new RegExp(`^converged 3 of 3 at revision ${status.revision}$`, 'm'), `backend maint printed: ${maint}`);
  /* One health view: every node shows the same checker's results. */
  const health = await Promise.all(agents.map((a) => sluiceOk(a.network, ['health'])));
  const checker = health[0]!.match(/^checked by (\S+) /m)?.[1];
  assert.ok(checker, `sluice health names the checker: ${health[0]}`);
  for (const text of health) assert.match(text, new RegExp(`^checked by ${checker} `, 'm'));
  console.log(
    `# maint through n3 returned in ${returned.toFixed(0)} ms; converged ${status.converged} of 3 at revision ${status.revision} ${ms.toFixed(0)} ms later`,
  );
  const report = await traffic();
  console.log(`# ${REQUESTS} connections: by backend ${JSON.stringify(report.byBackend)}, new flows per node ${report.perNode.join('/')}`);
  assert.equal(report.succeeded, REQUESTS);
  assert.deepEqual(report.byBackend, { be1: REQUESTS }, 'no node sends a new connection to the backend in maint');
  for (const [k, n] of report.perNode.entries()) assert.ok(n > 0, `node n${k + 1} forwarded none of ${REQUESTS}`);
});
