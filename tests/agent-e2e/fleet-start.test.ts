/*
 * Issue 16, a fleet node's start and a bad document: a node restarted while
 * etcd is down starts on its local copy (serving what it last applied),
 * refuses changes, and converges once etcd is back. A document in etcd that
 * is not a service (another writer mangled it) is refused by name: every node
 * keeps forwarding what it had, refuses changes saying why, and converges once
 * the document is right again. A node that starts with etcd away decides on
 * the fleet's first admin once etcd answers, not on its possibly stale copy.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SERVICES_PREFIX } from '@sluice/agent/fleet';
import { ManualHealth, type TestAgent, mapsSnapshot } from '@sluice/agent/test-agent';
import { expectCode } from '@sluice/agent/test-expect';
import { etcdctl, startEtcd, stopEtcd } from '@sluice/testbed/etcd';
import {
  FLEET_NAMESPACE,
  type FleetTestbed,
  fleetOf,
  fleetOption,
  forwardingSnapshot,
  startFleetNode,
  startFleetTestbed,
  stopFleetTestbed,
  tableEndpoints,
  until,
} from './support/fleet.ts';

const T = { timeout: 180_000 };
const WEB = '198.18.100.1:80/tcp';
const B1 = '198.19.1.2:8080';
/* The address a console's login comes from (the throttle counts per source). */
const BROWSER = '192.0.2.10';

let bed: FleetTestbed | undefined;
let n1: TestAgent;
let n2: TestAgent;
const log: string[] = [];

before(async () => {
  bed = await startFleetTestbed();
  n1 = await startFleetNode(bed, { node: 'n1', log });
  n2 = await startFleetNode(bed, { node: 'n2', log });
  await n1.as('admin').services.create({ address: '198.18.100.1', port: 80, protocol: 'tcp', backends: [{ address: '198.19.1.2', port: 8080 }] });
  await until('n2 has the service', () => n2.agent.placement().has(WEB));
  await healthSettled();
});

after(async () => {
  n1?.stop();
  n2?.stop();
  await stopFleetTestbed(bed);
  if (process.env.SLUICE_FLEET_LOG) console.log(log.join('\n'));
});

const weightOn = (t: TestAgent) => t.store.services.backend(WEB, B1)?.weight;

/*
 * The checker's verdict on B1 (up: its health is ManualHealth) published and
 * applied on both nodes, so that no health flip changes the maps under a test
 * that compares them with what they were (CI run 37: B1 went up on both nodes
 * in the middle of the mangled-document test, the first verdict having waited
 * for etcd's return).
 */
const healthSettled = () =>
  until('both nodes apply the published health of B1', async () => {
    for (const t of [n1, n2]) {
      const row = (await t.as('viewer').health.list({ service: WEB })).find((h) => h.endpoint === B1);
      if (!row?.checkedBy || !row.up || !tableEndpoints(t, WEB).includes(B1)) return false;
    }
    return true;
  });

test('a node restarted while etcd is down starts on its local copy, refuses changes, and converges once etcd is back', T, async () => {
  await stopEtcd(bed!.etcd);
  const started = performance.now();
  n2 = await n2.restart(new ManualHealth(), { fleet: fleetOption(bed!, { node: 'n2', log, startWaitMs: 1000 }) });
  console.log(`# n2 restarted with etcd down: serving its local copy ${(performance.now() - started).toFixed(0)} ms after the restart began`);
  assert.ok(n2.agent.placement().has(WEB), 'the local copy is in the maps');
  assert.ok(n2.store.services.get(WEB), 'and in the store');
  const status = await fleetOf(n2);
  assert.equal(status.reachable, false);
  await expectCode(n2.as('operator').backends.setWeight({ service: WEB, endpoint: B1, weight: 4 }), 'UNAVAILABLE');

  bed!.etcd = await startEtcd({ namespace: FLEET_NAMESPACE, dir: bed!.etcd.dir });
  await until('both reachable', async () => (await fleetOf(n1)).reachable && (await fleetOf(n2)).reachable, 20_000);
  await n1.as('operator').backends.setWeight({ service: WEB, endpoint: B1, weight: 4 });
  await until('n2 applies the change', () => weightOn(n2) === 4);
  assert.deepEqual(forwardingSnapshot(n2), forwardingSnapshot(n1));
});

test('a mangled document is refused by name; the nodes keep forwarding what they had; fixed, they converge', T, async () => {
  await healthSettled();
  const before = [mapsSnapshot(n1), mapsSnapshot(n2)];
  const good = JSON.parse((await etcdctl(bed!.etcd, ['get', `${SERVICES_PREFIX}${WEB}`, '--print-value-only'])).stdout);
  const put = await etcdctl(bed!.etcd, ['put', `${SERVICES_PREFIX}${WEB}`, JSON.stringify({ ...good, port: 'eighty' })]);
  assert.equal(put.code, 0, put.stderr);
  await until('both nodes refuse the document', async () => !(await fleetOf(n1)).reachable && !(await fleetOf(n2)).reachable);
  const status = await fleetOf(n1);
  assert.match(status.error ?? '', new RegExp(`fleet document of service ${WEB.replace(/[./]/g, '\\$&')}: port: port must be a number`));
  await expectCode(n1.as('operator').backends.setWeight({ service: WEB, endpoint: B1, weight: 6 }), 'UNAVAILABLE', /fleet document of service/);
  assert.deepEqual([mapsSnapshot(n1), mapsSnapshot(n2)], before, 'the maps are as they were');

  const fixed = await etcdctl(bed!.etcd, ['put', `${SERVICES_PREFIX}${WEB}`, JSON.stringify({ ...good, backends: [{ ...good.backends[0], weight: 6 }] })]);
  assert.equal(fixed.code, 0, fixed.stderr);
  await until('both apply the fixed document', () => weightOn(n1) === 6 && weightOn(n2) === 6, 20_000);
  await until('both reachable again', async () => (await fleetOf(n1)).reachable && (await fleetOf(n2)).reachable);
  assert.deepEqual(forwardingSnapshot(n2), forwardingSnapshot(n1));
});

test('a node started while etcd is away creates the first admin once the fleet answers (the fleet had no user); it logs in on every node', T, async () => {
  const password = 'first admin after etcd';
  const passwordFile = join(bed!.dir, 'first-admin.password');
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  assert.equal(n1.store.identities.users().length, 0, 'the fleet has no user yet');
  await stopEtcd(bed!.etcd);
  n2 = await n2.restart(new ManualHealth(), { fleet: fleetOption(bed!, { node: 'n2', log, startWaitMs: 1000 }) });
  await n2.agent.ensureFirstAdmin(passwordFile);
  assert.equal(n2.store.identities.users().length, 0, 'nothing decided while the fleet is not known');

  bed!.etcd = await startEtcd({ namespace: FLEET_NAMESPACE, dir: bed!.etcd.dir });
  await until('both nodes hold the admin', () => [n1, n2].every((t) => t.store.identities.user('admin')?.role === 'admin'), 20_000);
  for (const t of [n1, n2]) {
    const session = await t.api.callerFor(null, null, BROWSER).auth.login({ user: 'admin', password });
    assert.equal(session.role, 'admin');
  }
});
