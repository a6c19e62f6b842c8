// The tRPC router through createCaller against a real agent: real maps (no
// interface attached) and a real SQLite store. Every mutation is also tried
// with bad input and shown to change nothing in the store or the maps.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SluiceBackendFlags } from '../../src/dataplane/index.js';
import { expectCode, expectRefusedUnchanged } from './expect.js';
import { addFlows } from './flows.js';
import { type TestAgent, mapsSnapshot, snapshot, startTestAgent, storeSnapshot } from './helpers.js';

const WEB = '198.18.100.1:80/tcp';
const be = (i: number) => `198.19.${i}.2:8080`;
const T = { timeout: 30_000 };

let t: TestAgent;
before(async () => {
  t = await startTestAgent();
});
after(() => t?.stop());

const admin = () => t.as('admin');
const operator = () => t.as('operator');
const viewer = () => t.as('viewer');

function tableBackendIds(service: string): Set<number> {
  const maps = t.maps;
  const id = t.agent.serviceDataplaneId(service)!;
  const key = [...maps.services.entries()].find(([, v]) => v.id === id)!;
  const table = maps.lookupTables.lookup(id * 2 + key[1].active_table)!;
  return new Set([...table.slots].filter((slot) => slot !== 0xffff));
}

describe('services', () => {
  test('create puts the service and its backends in the store and the maps', T, async () => {
    const created = await admin().services.create({
      address: '198.18.100.1',
      port: 80,
      protocol: 'tcp',
      algorithm: 'maglev',
      backends: [
        { address: '198.19.1.2', port: 8080 },
        { address: '198.19.2.2', port: 8080, weight: 3 },
      ],
    });
    assert.equal(created.name, WEB);
    assert.equal(created.backendCount, 2);
    assert.deepEqual(created.healthCheck, { type: 'tcp', intervalMs: 2000, timeoutMs: 1000, rise: 2, fall: 3 });
    assert.equal(t.store.services.get(WEB)?.algorithm, 'maglev');
    const ids = t.agent.placement().get(WEB)!;
    assert.equal(ids.backends.size, 2);
    assert.deepEqual(tableBackendIds(WEB), new Set(ids.backends.values()));
    const audit = await viewer().audit.list({ action: 'service.create' });
    assert.equal(audit.items[0]?.target, WEB);
    assert.equal(audit.items[0]?.actor, 'test-admin');
  });

  test('bad service input changes nothing', T, async () => {
    const a = admin();
    const refuse = (label: string, call: () => Promise<unknown>, code: Parameters<typeof expectRefusedUnchanged>[3], message?: RegExp) =>
      expectRefusedUnchanged(t, label, call, code, message);
    await refuse('bad address', () => a.services.create({ address: '198.18.100.256', port: 80, protocol: 'tcp' }), 'INVALID', /IPv4 or IPv6/);
    await refuse('port 0', () => a.services.create({ address: '198.18.100.2', port: 0, protocol: 'tcp' }), 'INVALID', /port must be 1 to 65535/);
    await refuse('port 65536', () => a.services.create({ address: '198.18.100.2', port: 65536, protocol: 'tcp' }), 'INVALID', /port must be 1 to 65535/);
    await refuse('duplicate', () => a.services.create({ address: '198.18.100.1', port: 80, protocol: 'tcp' }), 'CONFLICT', /already exists/);
    await refuse(
      'duplicate (other spelling)',
      () => a.services.create({ address: ' 198.18.100.1', port: 80, protocol: 'tcp' }),
      'CONFLICT',
    );
    await refuse(
      'mixed families',
      () => a.services.create({ address: '198.18.100.2', port: 80, protocol: 'tcp', backends: [{ address: '2001:db8::2', port: 80 }] }),
      'INVALID',
      /IPv6 but service .* is IPv4/,
    );
    await refuse(
      'backend twice',
      () => a.services.create({ address: '198.18.100.2', port: 80, protocol: 'tcp', backends: [{ address: '198.19.1.2', port: 80 }, { address: '198.19.1.2', port: 80 }] }),
      'CONFLICT',
      /listed twice/,
    );
    await refuse('weight 0 in create', () => a.services.create({ address: '198.18.100.2', port: 80, protocol: 'tcp', backends: [{ address: '198.19.1.2', port: 80, weight: 0 }] }), 'INVALID');
    await refuse('timeout above interval', () => a.services.create({ address: '198.18.100.2', port: 80, protocol: 'tcp', healthCheck: { timeoutMs: 5000 } }), 'INVALID', /timeoutMs 5000 exceeds intervalMs 2000/);
    await refuse('unknown algorithm', () => a.services.create({ address: '198.18.100.2', port: 80, protocol: 'tcp', algorithm: 'random' as 'maglev' }), 'INVALID');
    await refuse('too many backends for one service', () =>
      a.services.create({ address: '198.18.100.2', port: 80, protocol: 'tcp', backends: Array.from({ length: 9 }, (_, i) => ({ address: `198.19.${i}.9`, port: 80 })) }),
      'LIMIT_REACHED', /at most 8 backends/);
    await refuse('update unknown', () => a.services.update({ service: '198.18.100.9:80/tcp', algorithm: 'maglev' }), 'NOT_FOUND', /no service 198.18.100.9:80\/tcp/);
    await refuse('update bad health', () => a.services.update({ service: WEB, healthCheck: { intervalMs: 50 } }), 'INVALID');
    await refuse('update: new interval below kept timeout', () => a.services.update({ service: WEB, healthCheck: { intervalMs: 500 } }), 'INVALID', /exceeds intervalMs 500/);
    await refuse('negative client rate', () => a.services.create({ address: '198.18.100.2', port: 80, protocol: 'tcp', clientRate: -1 }), 'INVALID', /clientRate must be 0 \(no limit\) to 1000000/);
    await refuse('client rate above the maximum', () => a.services.create({ address: '198.18.100.2', port: 80, protocol: 'tcp', clientRate: 1_000_001 }), 'INVALID', /clientRate must be 0 \(no limit\) to 1000000/);
    await refuse('fractional client rate', () => a.services.update({ service: WEB, clientRate: 2.5 }), 'INVALID', /clientRate must be a whole number/);
    await refuse('update: client rate as text', () => a.services.update({ service: WEB, clientRate: '5' as unknown as number }), 'INVALID', /clientRate must be a number/);
    await refuse('delete unknown', () => a.services.delete({ service: '198.18.100.9:80/udp' }), 'NOT_FOUND');
    await refuse('delete bad name', () => a.services.delete({ service: '198.18.100.9:80' }), 'INVALID', /VIP:PORT\/PROTO/);
  });

  test('over the service limit: LIMIT_REACHED, nothing changes', T, async () => {
    const { maxServices } = t.agent.limits;
    const existing = t.store.services.count();
    for (let i = existing; i < maxServices; i++) await admin().services.create({ address: '198.18.100.8', port: 1000 + i, protocol: 'udp' });
    await expectRefusedUnchanged(t, 'one too many', () => admin().services.create({ address: '198.18.100.8', port: 999, protocol: 'udp' }), 'LIMIT_REACHED', new RegExp(`at most ${maxServices} services`));
    for (let i = existing; i < maxServices; i++) await admin().services.delete({ service: `198.18.100.8:${1000 + i}/udp` });
    assert.equal(t.store.services.count(), existing);
  });

  test('update switches the algorithm in the maps and keeps the backends', T, async () => {
    const updated = await admin().services.update({ service: WEB, algorithm: 'round-robin', healthCheck: { type: 'http', path: '/health' } });
    assert.equal(updated.algorithm, 'round-robin');
    assert.deepEqual(updated.healthCheck.expectStatus, [200, 399]);
    const config = [...t.maps.services.values()].find((v) => v.id === t.agent.serviceDataplaneId(WEB));
    assert.equal(config?.algorithm, 0);
  });
});

describe('client rate', () => {
  const rateIn = (record: unknown) => (record as { clientRate?: number } | null)?.clientRate;
  const clientRateInMaps = (service: string) =>
    [...t.maps.services.values()].find((v) => v.id === t.agent.serviceDataplaneId(service))?.client_rate;

  test('off by default; create, update and turn off reach the store, the maps and the audit', T, async () => {
    assert.equal((await viewer().services.get({ service: WEB })).clientRate, 0);
    assert.equal(clientRateInMaps(WEB), 0);

    const created = await admin().services.create({ address: '198.18.100.3', port: 80, protocol: 'tcp', clientRate: 20 });
    assert.equal(created.clientRate, 20);
    assert.equal(clientRateInMaps(created.name), 20);
    assert.equal(rateIn((await viewer().audit.list({ action: 'service.create' })).items[0]?.after), 20);

    const updated = await admin().services.update({ service: created.name, clientRate: 5 });
    assert.equal(updated.clientRate, 5);
    assert.equal(t.store.services.get(created.name)?.clientRate, 5);
    assert.equal(clientRateInMaps(created.name), 5);
    const audit = (await viewer().audit.list({ action: 'service.update' })).items[0];
    assert.equal(rateIn(audit?.before), 20);
    assert.equal(rateIn(audit?.after), 5);

    /* An update that names other settings keeps the limit. */
    assert.equal((await admin().services.update({ service: created.name, algorithm: 'maglev' })).clientRate, 5);
    assert.equal((await admin().services.update({ service: created.name, clientRate: 0 })).clientRate, 0);
    assert.equal(clientRateInMaps(created.name), 0);
    await admin().services.delete({ service: created.name });
  });
});

describe('roles', () => {
  test('a viewer can read but change nothing; an operator cannot touch services or users', T, async () => {
    const backend = { service: WEB, endpoint: be(1) };
    await expectRefusedUnchanged(t, 'viewer adds', () => viewer().backends.add({ service: WEB, address: '198.19.3.2', port: 8080 }), 'FORBIDDEN', /needs role operator/);
    await expectRefusedUnchanged(t, 'viewer drains', () => viewer().backends.setState({ ...backend, state: 'drain' }), 'FORBIDDEN');
    await expectRefusedUnchanged(t, 'viewer reweights', () => viewer().backends.setWeight({ ...backend, weight: 5 }), 'FORBIDDEN');
    await expectRefusedUnchanged(t, 'viewer removes', () => viewer().backends.remove(backend), 'FORBIDDEN');
    await expectRefusedUnchanged(t, 'operator creates service', () => operator().services.create({ address: '198.18.100.3', port: 80, protocol: 'tcp' }), 'FORBIDDEN', /needs role admin/);
    await expectRefusedUnchanged(t, 'operator deletes service', () => operator().services.delete({ service: WEB }), 'FORBIDDEN');
    await expectRefusedUnchanged(t, 'operator imports', () => operator().config.import({ document: { version: 1, services: [] } }), 'FORBIDDEN');
    await expectRefusedUnchanged(t, 'operator adds user', () => operator().auth.createUser({ user: 'eve', password: 'long enough password', role: 'admin' }), 'FORBIDDEN');
    await expectRefusedUnchanged(t, 'operator makes token', () => operator().auth.createToken({ name: 'x', role: 'admin' }), 'FORBIDDEN');
    const anonymous = t.api.callerFor(null);
    await expectRefusedUnchanged(t, 'anonymous lists', () => anonymous.services.list(), 'UNAUTHENTICATED');
    await expectRefusedUnchanged(t, 'anonymous adds', () => anonymous.backends.add({ service: WEB, address: '198.19.3.2', port: 8080 }), 'UNAUTHENTICATED');
    assert.equal((await viewer().services.list()).length, 1);
    assert.equal((await viewer().backends.list({ service: WEB })).length, 2);
  });
});

describe('backends', () => {
  test('bad backend input changes nothing', T, async () => {
    const o = operator();
    const refuse = (label: string, call: () => Promise<unknown>, code: Parameters<typeof expectRefusedUnchanged>[3], message?: RegExp) =>
      expectRefusedUnchanged(t, label, call, code, message);
    await refuse('bad address', () => o.backends.add({ service: WEB, address: '198.19.3', port: 8080 }), 'INVALID');
    await refuse('port 0', () => o.backends.add({ service: WEB, address: '198.19.3.2', port: 0 }), 'INVALID');
    await refuse('port 65536', () => o.backends.add({ service: WEB, address: '198.19.3.2', port: 65536 }), 'INVALID');
    await refuse('weight 0', () => o.backends.add({ service: WEB, address: '198.19.3.2', port: 8080, weight: 0 }), 'INVALID', /weight must be 1 to 65535/);
    await refuse('weight 65536', () => o.backends.add({ service: WEB, address: '198.19.3.2', port: 8080, weight: 65536 }), 'INVALID');
    await refuse('weight 1.5', () => o.backends.add({ service: WEB, address: '198.19.3.2', port: 8080, weight: 1.5 }), 'INVALID');
    await refuse('duplicate', () => o.backends.add({ service: WEB, address: '198.19.1.2', port: 8080 }), 'CONFLICT', /already has backend 198.19.1.2:8080/);
    await refuse('unknown service', () => o.backends.add({ service: '198.18.100.7:80/tcp', address: '198.19.3.2', port: 8080 }), 'NOT_FOUND');
    await refuse('wrong family', () => o.backends.add({ service: WEB, address: '2001:db8:1:3::2', port: 8080 }), 'INVALID');
    await refuse('reweight out of range', () => o.backends.setWeight({ service: WEB, endpoint: be(1), weight: 70000 }), 'INVALID');
    await refuse('reweight unknown backend', () => o.backends.setWeight({ service: WEB, endpoint: be(9), weight: 2 }), 'NOT_FOUND', /has no backend 198.19.9.2:8080/);
    await refuse('bad endpoint', () => o.backends.setWeight({ service: WEB, endpoint: '198.19.1.2', weight: 2 }), 'INVALID', /ADDR:PORT/);
    await refuse('bad state', () => o.backends.setState({ service: WEB, endpoint: be(1), state: 'off' as 'drain' }), 'INVALID');
    await refuse('timeout without drain', () => o.backends.setState({ service: WEB, endpoint: be(1), state: 'maint', drainTimeoutMs: 1000 }), 'INVALID', /applies to state drain/);
    await refuse('negative drain timeout', () => o.backends.setState({ service: WEB, endpoint: be(1), state: 'drain', drainTimeoutMs: -1 }), 'INVALID');
    await refuse('remove unknown', () => o.backends.remove({ service: WEB, endpoint: be(7) }), 'NOT_FOUND');
    await refuse('bulk with one unknown', () => o.backends.bulk({ service: WEB, endpoints: [be(1), be(7)], change: { action: 'setWeight', weight: 9 } }), 'NOT_FOUND');
    await refuse('bulk empty', () => o.backends.bulk({ service: WEB, endpoints: [], change: { action: 'setWeight', weight: 9 } }), 'INVALID');
  });

  test('over the per-service backend limit: LIMIT_REACHED, nothing changes', T, async () => {
    const { maxBackendsPerService } = t.agent.limits;
    const have = t.store.services.backends(WEB).length;
    for (let i = have; i < maxBackendsPerService; i++) await operator().backends.add({ service: WEB, address: `198.19.${10 + i}.2`, port: 8080 });
    await expectRefusedUnchanged(t, 'one too many', () => operator().backends.add({ service: WEB, address: '198.19.99.2', port: 8080 }), 'LIMIT_REACHED', new RegExp(`at most ${maxBackendsPerService} backends`));
    await operator().backends.bulk({
      service: WEB,
      endpoints: Array.from({ length: maxBackendsPerService - have }, (_, i) => `198.19.${10 + have + i}.2:8080`),
      change: { action: 'remove' },
    });
    assert.equal(t.store.services.backends(WEB).length, have);
  });

  test('add, reweight, maint and ready change the table; each leaves an audit row', T, async () => {
    const added = await operator().backends.add({ service: WEB, address: '198.19.3.2', port: 8080, weight: 2 });
    assert.equal(added.eligible, true);
    assert.ok(tableBackendIds(WEB).has(added.dataplaneId!));
    const reweighted = await operator().backends.setWeight({ service: WEB, endpoint: be(3), weight: 7 });
    assert.equal(reweighted.weight, 7);
    assert.equal(t.maps.backends.lookup(added.dataplaneId!)?.weight, 7);
    const maint = await operator().backends.setState({ service: WEB, endpoint: be(3), state: 'maint' });
    assert.equal(maint.eligible, false);
    assert.ok(!tableBackendIds(WEB).has(added.dataplaneId!), 'a backend in maintenance gets no new flows');
    assert.equal(t.maps.backends.lookup(added.dataplaneId!)?.flags, SluiceBackendFlags.BACKEND_F_KEEP_FLOWS, 'but keeps its flows');
    await operator().backends.setState({ service: WEB, endpoint: be(3), state: 'ready' });
    assert.ok(tableBackendIds(WEB).has(added.dataplaneId!));
    const actions = (await viewer().audit.list({ target: be(3), limit: 10 })).items.map((e) => e.action);
    assert.deepEqual(actions, ['backend.setState', 'backend.setState', 'backend.setWeight', 'backend.add']);
    const rows = (await viewer().audit.list({ action: 'backend.setWeight', limit: 1 })).items;
    assert.deepEqual([(rows[0]!.before as any).weight, (rows[0]!.after as any).weight], [2, 7]);
  });

  test('remove is refused while flows are active, and allowed with force (flows ended)', T, async () => {
    addFlows(t, WEB, be(3), 3);
    assert.equal((await viewer().backends.list({ service: WEB })).find((b) => b.endpoint === be(3))?.activeFlows, 3);
    await expectRefusedUnchanged(t, 'remove with flows', () => operator().backends.remove({ service: WEB, endpoint: be(3) }), 'CONFLICT', /still carries 3 active flows/);
    await expectRefusedUnchanged(t, 'bulk remove with flows', () => operator().backends.bulk({ service: WEB, endpoints: [be(1), be(3)], change: { action: 'remove' } }), 'CONFLICT');
    await expectRefusedUnchanged(t, 'delete service with flows', () => admin().services.delete({ service: WEB }), 'CONFLICT', /3 active flows/);
    const id = t.agent.backendFacts(WEB, be(3)).dataplaneId!;
    const maps = t.maps;
    const pairNames = (backendId: number) =>
      [...maps.backendEndpoints.values()].some((owners) => Array.from(owners.backend_ids.subarray(0, owners.count)).includes(backendId));
    /* While its flows are being ended, the removed backend is retired, not freed (issue 9, point 6c). */
    const parts = t.parts;
    const endFlows = parts.endFlows;
    /* Its id is taken while its entry is not free (family 0): the reconciler's retired set itself is covered in test/reconcile. */
    let during: { flags: number; family: number; pair: boolean } | undefined;
    parts.endFlows = (m, ids) => {
      const entry = maps.backends.lookup(id)!;
      during = { flags: entry.flags, family: entry.family, pair: pairNames(id) };
      return endFlows(m, ids);
    };
    let result;
    try {
      result = await operator().backends.remove({ service: WEB, endpoint: be(3), force: true });
    } finally {
      parts.endFlows = endFlows;
    }
    assert.deepEqual(during, { flags: 0, family: 4, pair: true }, 'during end-flows: no flow follows it, replies still find it, its id is taken');
    assert.deepEqual(result, { removed: be(3), flowsEnded: 3 });
    assert.equal([...maps.flows.values()].filter((f) => f.backend_id === id).length, 0, 'its flow entries are gone');
    assert.equal(t.store.services.backend(WEB, be(3)), undefined);
    /* Then it is freed: entry, reply pair and id. */
    assert.equal(maps.backends.lookup(id)!.family, 0);
    assert.equal(pairNames(id), false);
  });

  test('drain: no new flows, flows continue, the timeout ends them and the count reaches zero', T, async () => {
    await operator().backends.add({ service: WEB, address: '198.19.4.2', port: 8080 });
    addFlows(t, WEB, be(4), 5, 41000);
    const id = t.agent.backendFacts(WEB, be(4)).dataplaneId!;
    const expiry = t.drainExpired(WEB, be(4));
    const drained = await operator().backends.setState({ service: WEB, endpoint: be(4), state: 'drain', drainTimeoutMs: 300 });
    assert.equal(drained.eligible, false);
    assert.equal(drained.activeFlows, 5);
    assert.ok(drained.drain && drained.drain.deadline === drained.drain.startedAt + 300);
    assert.ok(!tableBackendIds(WEB).has(id), 'draining: not in the table');
    assert.equal([...t.maps.flows.values()].filter((f) => f.backend_id === id).length, 5, 'its flows stay');
    assert.equal((await expiry).flowsEnded, 5, 'the drain timed out and ended its flows');
    assert.ok(Date.now() >= drained.drain.deadline!, 'not before its deadline');
    const view = (await viewer().backends.list({ service: WEB })).find((b) => b.endpoint === be(4))!;
    assert.equal(view.drain?.expired, true, 'the drain timed out');
    assert.equal(view.activeFlows, 0);
    assert.equal([...t.maps.flows.values()].filter((f) => f.backend_id === id).length, 0);
    const expired = (await viewer().audit.list({ action: 'backend.drainExpired' })).items[0];
    assert.deepEqual(expired?.before, { activeFlows: 5 });
    await operator().backends.remove({ service: WEB, endpoint: be(4) });
  });

  test('bulk: one change to several backends, all or nothing', T, async () => {
    const result = await operator().backends.bulk({ service: WEB, endpoints: [be(1), be(2)], change: { action: 'setState', state: 'maint' } });
    assert.deepEqual(result.backends.map((b) => b.state), ['maint', 'maint']);
    assert.equal(tableBackendIds(WEB).size, 0);
    await operator().backends.bulk({ service: WEB, endpoints: [be(1), be(2)], change: { action: 'setState', state: 'ready' } });
    assert.equal(tableBackendIds(WEB).size, 2);
  });
});

describe('health', () => {
  test('a backend that is down leaves the table and loses its flows; back up, it returns', T, async () => {
    const id = t.agent.backendFacts(WEB, be(1)).dataplaneId!;
    t.health.set(WEB, be(1), false);
    assert.ok(!tableBackendIds(WEB).has(id));
    assert.equal(t.maps.backends.lookup(id)?.flags, 0);
    const health = (await viewer().health.list({ service: WEB })).find((h) => h.endpoint === be(1))!;
    assert.equal(health.up, false);
    assert.equal(health.consecutiveFailures, 3);
    assert.equal((await viewer().backends.list({ service: WEB })).find((b) => b.endpoint === be(1))?.eligible, false);
    t.health.set(WEB, be(1), true);
    assert.ok(tableBackendIds(WEB).has(id));
  });
});

describe('a failed reconcile', () => {
  test('rolls the store back and restores the maps', T, async () => {
    const before = snapshot(t);
    const maps = t.maps;
    const original = maps.services.update.bind(maps.services);
    /* The service flip fails after the backend and the idle table were written. */
    maps.services.update = () => {
      throw Object.assign(new Error('injected failure'), {});
    };
    try {
      await expectCode(operator().backends.add({ service: WEB, address: '198.19.5.2', port: 8080 }), 'INTERNAL');
    } finally {
      maps.services.update = original;
    }
    assert.deepEqual(storeSnapshot(t), (before as any).store, 'store rolled back');
    /* The restore writes the previous table into the other slot; what matters is what a packet sees. */
    const now = mapsSnapshot(t) as any;
    assert.deepEqual(now.services, (before as any).maps.services);
    assert.deepEqual(now.backends, (before as any).maps.backends);
    assert.deepEqual(tableBackendIds(WEB).size, 2);
    const added = await operator().backends.add({ service: WEB, address: '198.19.5.2', port: 8080 });
    assert.equal(added.eligible, true, 'the agent works on afterwards');
    await operator().backends.remove({ service: WEB, endpoint: '198.19.5.2:8080' });
  });
});

describe('connections', () => {
  test('a filtered page of the flow table, with a cursor', T, async () => {
    addFlows(t, WEB, be(2), 7, 42000);
    const first = await viewer().connections.list({ backend: be(2), limit: 5 });
    assert.equal(first.items.length, 5);
    assert.ok(first.nextCursor);
    const second = await viewer().connections.list({ backend: be(2), limit: 5, cursor: first.nextCursor! });
    assert.equal(second.items.length, 2);
    assert.equal(second.nextCursor, null);
    const all = [...first.items, ...second.items];
    assert.equal(new Set(all.map((f) => f.clientPort)).size, 7);
    assert.ok(all.every((f) => f.backend === be(2) && f.service === WEB && f.state === 'established' && f.replyPackets === 2));
    assert.equal((await viewer().connections.list({ client: '198.18.0.99' })).items.length, 0);
    await expectCode(viewer().connections.list({ backend: be(9) }), 'NOT_FOUND');
    await expectCode(viewer().connections.list({ limit: 1001 }), 'INVALID');
    await operator().backends.setState({ service: WEB, endpoint: be(2), state: 'maint' });
    await operator().backends.remove({ service: WEB, endpoint: be(2), force: true });
    await operator().backends.add({ service: WEB, address: '198.19.2.2', port: 8080, weight: 3 });
  });
});

describe('config export and import', () => {
  test('export then import of the same document changes nothing', T, async () => {
    const document = await admin().config.export();
    const before = snapshot(t);
    const result = await admin().config.import({ document });
    assert.deepEqual([result.servicesCreated, result.servicesUpdated, result.servicesDeleted], [[], [], []]);
    assert.deepEqual([result.backendsAdded, result.backendsChanged, result.backendsRemoved], [0, 0, 0]);
    assert.deepEqual(snapshot(t), before);
  });

  test('dry run reports and changes nothing; invalid or over-limit documents change nothing', T, async () => {
    const document = await admin().config.export();
    const changed = structuredClone(document);
    changed.services[0]!.backends.push({ address: '198.19.6.2', port: 8080, weight: 1, state: 'ready' });
    changed.services.push({ address: '2001:db8:100::1', port: 53, protocol: 'udp', algorithm: 'maglev', mode: 'nat', backends: [] });
    const before = snapshot(t);
    const dry = await admin().config.import({ document: changed, dryRun: true });
    assert.deepEqual(dry.servicesCreated, ['[2001:db8:100::1]:53/udp']);
    assert.equal(dry.backendsAdded, 1);
    assert.deepEqual(snapshot(t), before);
    const tooMany = { version: 1 as const, services: Array.from({ length: 5 }, (_, i) => ({ address: '198.18.100.5', port: 100 + i, protocol: 'tcp' as const })) };
    await expectRefusedUnchanged(t, 'over the limit', () => admin().config.import({ document: tooMany }), 'LIMIT_REACHED');
    const bad = structuredClone(changed) as any;
    bad.services[0].backends[0].port = 0;
    await expectRefusedUnchanged(t, 'port 0', () => admin().config.import({ document: bad }), 'INVALID');
    const result = await admin().config.import({ document: changed });
    assert.deepEqual(result.servicesCreated, ['[2001:db8:100::1]:53/udp']);
    assert.deepEqual(await admin().config.export(), { ...changed, services: [...changed.services].sort((a, b) => (a.address < b.address ? -1 : 1)).map((s) => ({ ...s, healthCheck: s.healthCheck ?? { type: 'none', intervalMs: 2000, timeoutMs: 1000, rise: 2, fall: 3 } })) });
  });
});

describe('restart', () => {
  test('a restarted agent adopts the maps and reads the store: state after equals state before', T, async () => {
    const before = snapshot(t);
    const servicesBefore = await viewer().services.list();
    t = await t.restart();
    assert.deepEqual(snapshot(t), before);
    assert.deepEqual(
      (await viewer().services.list()).map(({ updatedAt, ...s }) => s),
      servicesBefore.map(({ updatedAt, ...s }) => s),
    );
  });
});
