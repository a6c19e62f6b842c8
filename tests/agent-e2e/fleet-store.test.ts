/*
 * Issue 16, a fleet on etcd: agents that share one desired state through a
 * real etcd (Debian's etcd-server, started by the test in its own namespace).
 * A change through one node is applied on the others, through the same store
 * transaction and targeted reconcile as a local change: their maps end equal
 * to the writer's, byte for byte (the Maglev tables too). Convergence time is
 * measured and printed.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestAgent } from '@sluice/agent/test-agent';
import { convergedLine } from '@sluice/api';
import { type FleetTestbed, forwardingSnapshot, startFleetNode, startFleetTestbed, stopFleetTestbed, until } from './support/fleet.ts';

const T = { timeout: 120_000 };
const WEB = '198.18.100.1:80/tcp';

let bed: FleetTestbed | undefined;
const nodes: TestAgent[] = [];
const log: string[] = [];

before(async () => {
  bed = await startFleetTestbed();
  for (const node of ['n1', 'n2', 'n3']) nodes.push(await startFleetNode(bed, { node, log }));
});

after(async () => {
  for (const node of nodes) node.stop();
  await stopFleetTestbed(bed);
  if (process.env.SLUICE_FLEET_LOG) console.log(log.join('\n'));
});

const weightOn = (t: TestAgent, endpoint: string) => t.store.services.backend(WEB, endpoint)?.weight;

test('a change through one node is applied on every node: same store rows, same maps (convergence measured)', T, async () => {
  const [n1, n2, n3] = nodes as [TestAgent, TestAgent, TestAgent];
  const started = performance.now();
  await n1.as('admin').services.create({
    address: '198.18.100.1',
    port: 80,
    protocol: 'tcp',
    backends: [
      { address: '198.19.1.2', port: 8080 },
      { address: '198.19.1.3', port: 8080 },
    ],
  });
  const returnedMs = performance.now() - started;
  /* Read-your-writes: the writer's own copy and maps hold the change when the call returns. */
  assert.ok(n1.agent.placement().has(WEB), 'the writer has the service in its maps when the call returns');
  const others = await Promise.all([n2, n3].map((n) => until(`${WEB} in the maps of another node`, () => n.agent.placement().has(WEB))));
  console.log(
    `# create: call returned in ${returnedMs.toFixed(1)} ms; the other nodes had it ${others.map((ms) => `${(returnedMs + ms).toFixed(1)} ms`).join(', ')} after the call began`,
  );

  const reweighAt = performance.now();
  await n2.as('operator').backends.setWeight({ service: WEB, endpoint: '198.19.1.3:8080', weight: 7 });
  const reweighReturned = performance.now() - reweighAt;
  const reweighOthers = await Promise.all([n1, n3].map((n) => until('weight 7 applied', () => weightOn(n, '198.19.1.3:8080') === 7)));
  console.log(
    `# reweight through n2: returned in ${reweighReturned.toFixed(1)} ms; n1, n3 applied ${reweighOthers.map((ms) => `${(reweighReturned + ms).toFixed(1)} ms`).join(', ')} after the call began`,
  );

  /* The same desired state makes the same forwarding on every node: services, backends, active Maglev tables (forwardingSnapshot). */
  await until('maps equal on all nodes', () => {
    const first = JSON.stringify(forwardingSnapshot(n1));
    return [n2, n3].every((n) => JSON.stringify(forwardingSnapshot(n)) === first);
  });
  assert.deepEqual(forwardingSnapshot(n2), forwardingSnapshot(n1));
  assert.deepEqual(forwardingSnapshot(n3), forwardingSnapshot(n1));

  /* The audit log is shared: each node has both entries, once. */
  for (const n of nodes) {
    const actions = (await n.as('admin').audit.list({ limit: 50 })).items.map((e) => `${e.actor} ${e.action}`).filter((a) => !a.includes('agent.start'));
    assert.deepEqual(actions.sort(), ['test-admin service.create', 'test-operator backend.setWeight'].sort(), `audit of a node: ${actions.join(', ')}`);
  }

  /* The fleet view, from any node: 3 of 3 at the fleet's revision. */
  const status = await until('converged 3 of 3', async () => {
    const fleet = (await n3.as('viewer').node.status()).fleet;
    return fleet !== null && fleet.nodes.length === 3 && fleet.converged === 3;
  });
  const fleet = (await n3.as('viewer').node.status()).fleet!;
  assert.equal(fleet.reachable, true);
  assert.deepEqual(
    fleet.nodes.map((n) => n.node),
    ['n1', 'n2', 'n3'],
  );
  assert.ok(fleet.revision! > 0);
  console.log(`# ${convergedLine(fleet)} (view converged ${status.toFixed(0)} ms after asking)`);
});

test('a service deleted through one node goes from every node', T, async () => {
  const [n1, n2, n3] = nodes as [TestAgent, TestAgent, TestAgent];
  await n3.as('admin').services.delete({ service: WEB, force: true });
  for (const n of [n1, n2, n3]) await until('service gone', () => !n.agent.placement().has(WEB) && n.store.services.get(WEB) === undefined);
});
