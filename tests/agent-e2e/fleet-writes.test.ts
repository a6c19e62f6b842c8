/*
 * Issue 16, guarded writes: a change is one etcd transaction guarded by the
 * revision of each service it was based on. Two writers on one service at
 * once: exactly one wins, the other gets CONFLICT and changes nothing; a
 * retry after it sees the winner goes through, so nothing is lost. Writers
 * on different services do not block each other.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestAgent } from '@sluice/agent/test-agent';
import { expectCode } from '@sluice/agent/test-expect';
import { type FleetTestbed, startFleetNode, startFleetTestbed, stopFleetTestbed, until } from './support/fleet.ts';

const T = { timeout: 180_000 };
const WEB = '198.18.100.1:80/tcp';
const API = '198.18.100.2:443/tcp';
const B1 = '198.19.1.2:8080';
/* Rounds of the race: each must have exactly one winner. */
const ROUNDS = 20;

let bed: FleetTestbed | undefined;
let n1: TestAgent;
let n2: TestAgent;

before(async () => {
  bed = await startFleetTestbed();
  n1 = await startFleetNode(bed, { node: 'n1' });
  n2 = await startFleetNode(bed, { node: 'n2' });
  await n1.as('admin').services.create({ address: '198.18.100.1', port: 80, protocol: 'tcp', backends: [{ address: '198.19.1.2', port: 8080 }] });
  await until('n2 has the service', () => n2.store.services.get(WEB) !== undefined);
});

after(async () => {
  n1?.stop();
  n2?.stop();
  await stopFleetTestbed(bed);
});

const applied = async (t: TestAgent) => (await t.as('viewer').node.status()).fleet!.appliedRevision;
const weightOn = (t: TestAgent) => t.store.services.backend(WEB, B1)?.weight;
const auditedWeights = async (t: TestAgent) =>
  (await t.as('admin').audit.list({ action: 'backend.setWeight', limit: 500 })).items.map((e) => (e.after as { weight: number }).weight);

test(`two nodes reweigh one backend at once, ${ROUNDS} times: exactly one wins each time, the other gets CONFLICT; its retry then wins`, T, async () => {
  let conflicts = 0;
  for (let round = 0; round < ROUNDS; round++) {
    /* Both nodes hold the same revision of the service: the race is real, not one node behind. */
    await until('both nodes at the same revision', async () => (await applied(n1)) === (await applied(n2)));
    const a = 2 * round + 2;
    const b = 2 * round + 3;
    const outcomes = await Promise.allSettled([
      n1.as('operator').backends.setWeight({ service: WEB, endpoint: B1, weight: a }),
      n2.as('operator').backends.setWeight({ service: WEB, endpoint: B1, weight: b }),
    ]);
    const won = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
    assert.equal(won.length, 1, `round ${round}: exactly one writer wins (${outcomes.map((o) => o.status).join(', ')})`);
    const loser = outcomes[1 - won[0]!]!;
    assert.equal(loser.status, 'rejected');
    await expectCode(Promise.reject((loser as PromiseRejectedResult).reason), 'CONFLICT', /changed in the fleet since this node read it/);
    conflicts++;
    const winnerWeight = won[0] === 0 ? a : b;
    const loserWeight = won[0] === 0 ? b : a;
    const loserNode = won[0] === 0 ? n2 : n1;
    await until('both nodes hold the winner', () => weightOn(n1) === winnerWeight && weightOn(n2) === winnerWeight);
    /* Nothing lost: the loser, now holding the winner's change, retries and goes through. */
    await loserNode.as('operator').backends.setWeight({ service: WEB, endpoint: B1, weight: loserWeight });
    await until('both nodes hold the retry', () => weightOn(n1) === loserWeight && weightOn(n2) === loserWeight);
  }
  /* The shared audit log has each applied change once, in order, on both nodes: 2 per round, no refused one. */
  for (const t of [n1, n2]) assert.equal((await auditedWeights(t)).length, 2 * ROUNDS);
  assert.deepEqual(await auditedWeights(n1), await auditedWeights(n2));
  console.log(`# ${ROUNDS} races: ${ROUNDS} with exactly one winner, ${conflicts} CONFLICT answers, ${ROUNDS} retries applied on both nodes`);
});

test('two nodes create the same service at once: one creates it, the other gets CONFLICT', T, async () => {
  const spec = (address: string) => ({ address: '198.18.100.2', port: 443, protocol: 'tcp' as const, backends: [{ address, port: 8443 }] });
  const outcomes = await Promise.allSettled([n1.as('admin').services.create(spec('198.19.1.2')), n2.as('admin').services.create(spec('198.19.1.3'))]);
  assert.deepEqual(outcomes.map((o) => o.status).sort(), ['fulfilled', 'rejected']);
  const winner = outcomes[0]!.status === 'fulfilled' ? '198.19.1.2:8443' : '198.19.1.3:8443';
  for (const t of [n1, n2])
    await until(
      'both nodes hold the winner',
      () =>
        t.store.services
          .backends(API)
          .map((b) => b.endpoint)
          .join() === winner,
    );
});

test('writers on different services at once both go through', T, async () => {
  const before1 = weightOn(n1)!;
  await Promise.all([
    n1.as('operator').backends.setWeight({ service: WEB, endpoint: B1, weight: before1 + 1 }),
    n2.as('operator').backends.add({ service: API, address: '198.19.1.4', port: 8443 }),
  ]);
  for (const t of [n1, n2])
    await until('both changes on both nodes', () => weightOn(t) === before1 + 1 && t.store.services.backend(API, '198.19.1.4:8443') !== undefined);
});
