/*
 * Issue 16, the store away: with etcd stopped every node keeps forwarding on
 * the state it last applied (its maps do not change), refuses changes with a
 * clear UNAVAILABLE naming the store, and says so in node.status; once etcd is
 * back the nodes take changes again and converge. A node cut off from etcd
 * while the others change things and the history is compacted past its
 * revision lists again on return and converges, deleting what was removed
 * meanwhile (never "watch from now").
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type TestAgent, mapsSnapshot, storeSnapshot } from '@sluice/agent/test-agent';
import { expectCode } from '@sluice/agent/test-expect';
import { compactEtcd, etcdRevision, startEtcd, stopEtcd } from '@sluice/testbed/etcd';
import {
  CuttableLink,
  FLEET_NAMESPACE,
  type FleetTestbed,
  fleetOf,
  forwardingSnapshot,
  startFleetNode,
  startFleetTestbed,
  stopFleetTestbed,
  tableEndpoints,
  until,
} from './support/fleet.ts';

const T = { timeout: 180_000 };
const WEB = '198.18.100.1:80/tcp';
const API = '198.18.100.2:443/tcp';
const B1 = '198.19.1.2:8080';

let bed: FleetTestbed | undefined;
let n1: TestAgent;
let n2: TestAgent;
let n3: TestAgent | undefined;
let link: CuttableLink | undefined;
const log: string[] = [];

before(async () => {
  bed = await startFleetTestbed();
  n1 = await startFleetNode(bed, { node: 'n1', log });
  n2 = await startFleetNode(bed, { node: 'n2', log });
  await n1.as('admin').services.create({
    address: '198.18.100.1',
    port: 80,
    protocol: 'tcp',
    backends: [
      { address: '198.19.1.2', port: 8080 },
      { address: '198.19.1.3', port: 8080 },
    ],
  });
  await until('n2 has the service', () => n2.agent.placement().has(WEB));
  await healthSettled();
});

/*
 * The checker's verdicts on both backends (up: their health is ManualHealth)
 * published and applied on both nodes before the first test compares maps
 * with what they were: CI run 42 took the snapshot before they were, and the
 * maps then differed in both backends' flags (as fleet-start.test.ts, CI run 37).
 */
const healthSettled = () =>
  until('both nodes apply the published health of both backends', async () => {
    for (const t of [n1, n2]) {
      const rows = await t.as('viewer').health.list({ service: WEB });
      if (rows.length !== 2 || rows.some((h) => !h.checkedBy || !h.up)) return false;
      if (tableEndpoints(t, WEB).length !== 2) return false;
    }
    return true;
  });

after(async () => {
  await link?.cut();
  for (const t of [n1, n2, n3]) t?.stop();
  await stopFleetTestbed(bed);
  if (process.env.SLUICE_FLEET_LOG) console.log(log.join('\n'));
});

const weightOn = (t: TestAgent) => t.store.services.backend(WEB, B1)?.weight;

test('etcd stopped: maps unchanged, changes refused with UNAVAILABLE naming the store, node.status says unreachable; back: converge', T, async () => {
  const before = [mapsSnapshot(n1), mapsSnapshot(n2)];
  await stopEtcd(bed!.etcd);
  const noticed = await until('n1 sees the store unreachable', async () => !(await fleetOf(n1)).reachable);
  console.log(`# etcd stopped: node.status said unreachable within ${noticed.toFixed(0)} ms`);
  const status = await fleetOf(n1);
  assert.equal(status.revision, null);
  assert.ok(status.error, 'the error reaching the store is shown');

  const storeBefore = storeSnapshot(n1);
  const message = await expectCode(
    n1.as('operator').backends.setWeight({ service: WEB, endpoint: B1, weight: 9 }),
    'UNAVAILABLE',
    /fleet store etcd\+unix:\/\/.* cannot be reached or read.*nothing was changed/,
  );
  console.log(`# refused while etcd is down: ${message.slice(0, 160)}`);
  await expectCode(n2.as('admin').services.delete({ service: WEB, force: true }), 'UNAVAILABLE');
  assert.deepEqual(storeSnapshot(n1), storeBefore, 'the refused change left the local copy as it was');
  /* Forwarding goes on on the last applied state: the maps are exactly as before etcd stopped. */
  assert.deepEqual([mapsSnapshot(n1), mapsSnapshot(n2)], before);

  const restarted = performance.now();
  bed!.etcd = await startEtcd({ namespace: FLEET_NAMESPACE, dir: bed!.etcd.dir });
  const back = await until('both nodes reach the store again', async () => (await fleetOf(n1)).reachable && (await fleetOf(n2)).reachable, 20_000);
  await n1.as('operator').backends.setWeight({ service: WEB, endpoint: B1, weight: 9 });
  await until('n2 applies the change made after the return', () => weightOn(n2) === 9);
  const converged = performance.now() - restarted;
  /* Same forwarding (their histories may differ: see forwardingSnapshot). */
  assert.deepEqual(forwardingSnapshot(n2), forwardingSnapshot(n1));
  console.log(
    `# etcd back: nodes reachable ${back.toFixed(0)} ms after it was ready; a change through n1 on n2 ${converged.toFixed(0)} ms after the restart began`,
  );
});

test('a node cut off while the history is compacted past its revision lists again on return: removed services go, new ones come', T, async () => {
  link = new CuttableLink(bed!.dir, 'n3-link', bed!.etcd.socket);
  await link.restore();
  n3 = await startFleetNode(bed!, { node: 'n3', socket: link.path, log });
  await until('n3 has the service', () => n3!.agent.placement().has(WEB));
  const n3Revision = (await fleetOf(n3)).appliedRevision;

  await until('n3 registered in n1 view', async () => (await fleetOf(n1)).nodes.some((n) => n.node === 'n3'));
  await link.cut();
  const cutAt = performance.now();
  await until('n3 sees the store unreachable', async () => !(await fleetOf(n3!)).reachable);
  /* Its lease (2 s here) is no longer kept alive: n3 leaves the others' fleet view. */
  await until('n3 gone from n1 view', async () => !(await fleetOf(n1)).nodes.some((n) => n.node === 'n3'), 15_000);
  console.log(`# n3 cut off: gone from n1's fleet view ${(performance.now() - cutAt).toFixed(0)} ms after the cut (lease TTL 2 s)`);
  const n3Maps = mapsSnapshot(n3);
  await expectCode(n3.as('operator').backends.setWeight({ service: WEB, endpoint: B1, weight: 4 }), 'UNAVAILABLE');

  /* Meanwhile, through n1: WEB deleted, API created; then the history before now is compacted away. */
  await n1.as('admin').services.delete({ service: WEB, force: true });
  await n1.as('admin').services.create({ address: '198.18.100.2', port: 443, protocol: 'tcp', backends: [{ address: '198.19.1.4', port: 8443 }] });
  const revision = await etcdRevision(bed!.etcd);
  await compactEtcd(bed!.etcd, revision);
  assert.ok(revision > n3Revision + 1, `compacted at ${revision}, past n3's ${n3Revision}`);
  assert.deepEqual(mapsSnapshot(n3), n3Maps, 'cut off, n3 forwards on what it had');

  await link.restore();
  const converged = await until('n3 lists again: WEB gone, API there', () => !n3!.agent.placement().has(WEB) && n3!.agent.placement().has(API), 20_000);
  assert.equal(n3.store.services.get(WEB), undefined, 'the service removed meanwhile is gone from the local copy too');
  /*
   * The same forwarding, not the same history: n1 built API's table twice (its
   * backend pending, then up as the checker published it), n3 once (it listed
   * both at once), so the halves of the table pair and what the inactive one
   * (and the deleted WEB's) still holds differ; the active tables, backends and
   * VIPs may not.
   */
  await until('n3 forwards as n1 does', () => JSON.stringify(forwardingSnapshot(n3!)) === JSON.stringify(forwardingSnapshot(n1)));
  await until('n3 registered again', async () => (await fleetOf(n1)).nodes.some((n) => n.node === 'n3'));
  assert.ok(
    log.some((line) => line.startsWith('n3 warn: fleet watch ended') && line.includes(`past revision ${n3Revision}?): listing again`)),
    `n3 listed again because of the compaction:\n${log.filter((l) => l.startsWith('n3')).join('\n')}`,
  );
  console.log(
    `# n3 back after a compaction past its revision ${n3Revision} (compacted at ${revision}): converged ${converged.toFixed(0)} ms after the link returned`,
  );
});
