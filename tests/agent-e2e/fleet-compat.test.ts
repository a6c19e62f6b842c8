/*
 * Issue 16, the compatibility record: the first node writes it (hash seed,
 * lookup table size, backend-selection version); a node whose own differs
 * would send a flow moved to it to another backend, so it applies nothing
 * from the fleet, refuses changes, and says why in node.status and in every
 * node's fleet view (where it does not count as converged). Nor does it check
 * backends for the fleet: it does not take the checker's role even when no
 * node holds it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestAgent } from '@sluice/agent/test-agent';
import { expectCode } from '@sluice/agent/test-expect';
import { CHECKER_KEY } from '@sluice/agent/fleet';
import { convergedLine } from '@sluice/api';
import { etcdctl } from '@sluice/testbed/etcd';
import { type FleetTestbed, startFleetNode, startFleetTestbed, stopFleetTestbed, until } from './support/fleet.ts';

const T = { timeout: 120_000 };
const WEB = '198.18.100.1:80/tcp';

let bed: FleetTestbed | undefined;
let n1: TestAgent | undefined;
let odd: TestAgent;

before(async () => {
  bed = await startFleetTestbed();
  n1 = await startFleetNode(bed, { node: 'n1' });
  await n1!.as('admin').services.create({ address: '198.18.100.1', port: 80, protocol: 'tcp', backends: [{ address: '198.19.1.2', port: 8080 }] });
  /* Another hash seed than the fleet's (0): its Maglev tables would differ. */
  odd = await startFleetNode(bed, { node: 'n2-odd', agent: { hashSeed: 7 } });
});

after(async () => {
  n1?.stop();
  odd?.stop();
  await stopFleetTestbed(bed);
});

test('a node with another hash seed refuses to apply, refuses changes, and shows why in every fleet view', T, async () => {
  const own = (await odd.as('viewer').node.status()).fleet!;
  assert.match(own.refused ?? '', /hash seed 7 \(the fleet's: 0\).*another backend than the other nodes/);
  assert.equal(odd.store.services.get(WEB), undefined, 'the refusing node applied nothing from the fleet');
  assert.equal(odd.agent.placement().has(WEB), false);
  await expectCode(odd.as('operator').backends.setWeight({ service: WEB, endpoint: '198.19.1.2:8080', weight: 3 }), 'NOT_FOUND');
  await expectCode(
    odd.as('admin').services.create({ address: '198.18.100.9', port: 80, protocol: 'tcp' }),
    'UNAVAILABLE',
    /applies nothing from the fleet: this node has hash seed 7/,
  );

  await until('n1 sees both nodes', async () => (await n1!.as('viewer').node.status()).fleet!.nodes.length === 2);
  const view = (await n1!.as('viewer').node.status()).fleet!;
  const entry = view.nodes.find((n) => n.node === 'n2-odd')!;
  assert.equal(entry.healthy, false);
  assert.match(entry.reason ?? '', /hash seed 7/);
  assert.equal(entry.compat.hashSeed, 7);
  assert.equal(view.converged, 1);
  assert.equal(convergedLine(view), `converged 1 of 2 at revision ${view.revision}`);
  console.log(`# ${convergedLine(view)}; n2-odd: ${entry.reason}`);
});

const checkerKey = async () => (await etcdctl(bed!.etcd, ['get', CHECKER_KEY, '--print-value-only'])).stdout.trim();

test('the refusing node does not check for the fleet, even when no node does', T, async () => {
  assert.equal(await checkerKey(), 'n1', 'n1, the first node, checks');
  /* A clean stop hands the role over at once: the key goes with n1's lease. */
  n1!.stop();
  n1 = undefined;
  await until('the checker key is gone with n1', async () => (await checkerKey()) === '');
  /* Longer than the lease (2 s) and ten of the refusing node's turns (200 ms): a candidate would have taken it. */
  await new Promise((resolve) => setTimeout(resolve, 2500));
  assert.equal(await checkerKey(), '', 'no node checks: the refusing node did not campaign');
  assert.equal((await odd.as('viewer').node.status()).fleet!.checker, null);
});
