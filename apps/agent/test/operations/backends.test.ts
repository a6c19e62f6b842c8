// backends.*: add, reweight, states, drain with its timeout, remove with flows, bulk; bad input and the per-service limit change nothing.
// Through createCaller against a real agent of its own: real maps (no interface
// attached) and a real SQLite store.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SluiceBackendFlags } from '@sluice/dataplane';
import { expectRefusedUnchanged } from './expect.js';
import { addClosedFlows, addFlows } from './flows.js';
import type { TestAgent } from './helpers.js';
import { T, WEB, be, tableBackendIds, withWebServiceAgent } from './web-service.js';

let t: TestAgent;
withWebServiceAgent((agent) => (t = agent));

const admin = () => t.as('admin');
const operator = () => t.as('operator');
const viewer = () => t.as('viewer');

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
    await refuse(
      'reweight unknown backend',
      () => o.backends.setWeight({ service: WEB, endpoint: be(9), weight: 2 }),
      'NOT_FOUND',
      /has no backend 198.19.9.2:8080/,
    );
    await refuse('bad endpoint', () => o.backends.setWeight({ service: WEB, endpoint: '198.19.1.2', weight: 2 }), 'INVALID', /ADDR:PORT/);
    await refuse('bad state', () => o.backends.setState({ service: WEB, endpoint: be(1), state: 'off' as 'drain' }), 'INVALID');
    await refuse(
      'timeout without drain',
      () => o.backends.setState({ service: WEB, endpoint: be(1), state: 'maint', drainTimeoutMs: 1000 }),
      'INVALID',
      /applies to state drain/,
    );
    await refuse('negative drain timeout', () => o.backends.setState({ service: WEB, endpoint: be(1), state: 'drain', drainTimeoutMs: -1 }), 'INVALID');
    await refuse('remove unknown', () => o.backends.remove({ service: WEB, endpoint: be(7) }), 'NOT_FOUND');
    await refuse(
      'bulk with one unknown',
      () => o.backends.bulk({ service: WEB, endpoints: [be(1), be(7)], change: { action: 'setWeight', weight: 9 } }),
      'NOT_FOUND',
    );
    await refuse('bulk empty', () => o.backends.bulk({ service: WEB, endpoints: [], change: { action: 'setWeight', weight: 9 } }), 'INVALID');
  });

  test('over the per-service backend limit: LIMIT_REACHED, nothing changes', T, async () => {
    const { maxBackendsPerService } = t.agent.limits;
    const have = t.store.services.backends(WEB).length;
    for (let i = have; i < maxBackendsPerService; i++) await operator().backends.add({ service: WEB, address: `198.19.${10 + i}.2`, port: 8080 });
    await expectRefusedUnchanged(
      t,
      'one too many',
      () => operator().backends.add({ service: WEB, address: '198.19.99.2', port: 8080 }),
      'LIMIT_REACHED',
      new RegExp(`at most ${maxBackendsPerService} backends`),
    );
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
    assert.ok(tableBackendIds(t, WEB).has(added.dataplaneId!));
    const reweighted = await operator().backends.setWeight({ service: WEB, endpoint: be(3), weight: 7 });
    assert.equal(reweighted.weight, 7);
    assert.equal(t.maps.backends.lookup(added.dataplaneId!)?.weight, 7);
    const maint = await operator().backends.setState({ service: WEB, endpoint: be(3), state: 'maint' });
    assert.equal(maint.eligible, false);
    assert.ok(!tableBackendIds(t, WEB).has(added.dataplaneId!), 'a backend in maintenance gets no new flows');
    assert.equal(t.maps.backends.lookup(added.dataplaneId!)?.flags, SluiceBackendFlags.BACKEND_F_KEEP_FLOWS, 'but keeps its flows');
    await operator().backends.setState({ service: WEB, endpoint: be(3), state: 'ready' });
    assert.ok(tableBackendIds(t, WEB).has(added.dataplaneId!));
    const actions = (await viewer().audit.list({ target: be(3), limit: 10 })).items.map((e) => e.action);
    assert.deepEqual(actions, ['backend.setState', 'backend.setState', 'backend.setWeight', 'backend.add']);
    const rows = (await viewer().audit.list({ action: 'backend.setWeight', limit: 1 })).items;
    assert.deepEqual([(rows[0]!.before as any).weight, (rows[0]!.after as any).weight], [2, 7]);
  });

  test('remove is refused while flows are active, and allowed with force (flows ended)', T, async () => {
    addFlows(t, WEB, be(3), 3);
    assert.equal((await viewer().backends.list({ service: WEB })).find((b) => b.endpoint === be(3))?.activeFlows, 3);
    await expectRefusedUnchanged(
      t,
      'remove with flows',
      () => operator().backends.remove({ service: WEB, endpoint: be(3) }),
      'CONFLICT',
      /still carries 3 active flows/,
    );
    await expectRefusedUnchanged(
      t,
      'bulk remove with flows',
      () => operator().backends.bulk({ service: WEB, endpoints: [be(1), be(3)], change: { action: 'remove' } }),
      'CONFLICT',
    );
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
    let result: unknown;
    try {
      result = await operator().backends.remove({ service: WEB, endpoint: be(3), force: true });
    } finally {
      parts.endFlows = endFlows;
    }
    assert.deepEqual(during, { flags: 0, family: 4, pair: true }, 'during end-flows: no flow follows it, replies still find it, its id is taken');
    assert.deepEqual(result, { removed: be(3), flowsEnded: 3, closedEntriesRemoved: 0 });
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
    assert.ok(!tableBackendIds(t, WEB).has(id), 'draining: not in the table');
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
    assert.deepEqual(
      result.backends.map((b) => b.state),
      ['maint', 'maint'],
    );
    assert.equal(tableBackendIds(t, WEB).size, 0);
    await operator().backends.bulk({ service: WEB, endpoints: [be(1), be(2)], change: { action: 'setState', state: 'ready' } });
    assert.equal(tableBackendIds(t, WEB).size, 2);
  });

  test('remove counts only open connections as cut; closed entries removed are counted apart, in the answer and the audit log', T, async () => {
    const facts = (endpoint: string) => t.agent.backendFacts(WEB, endpoint);
    const audit = async () =>
      (await admin().audit.list({ limit: 2 })).items.map((e) => ({ action: e.action, target: e.target, before: e.before, after: e.after }));
    /* Only closed entries: what the remove dialog calls "no connection uses it". */
    await operator().backends.add({ service: WEB, address: '198.19.14.2', port: 8080 });
    addClosedFlows(t, WEB, '198.19.14.2:8080', 18, 51000);
    assert.equal(facts('198.19.14.2:8080').activeFlows, 0);
    assert.deepEqual(await operator().backends.remove({ service: WEB, endpoint: '198.19.14.2:8080' }), {
      removed: '198.19.14.2:8080',
      flowsEnded: 0,
      closedEntriesRemoved: 18,
    });
    const [cut, removal] = await audit();
    assert.deepEqual(cut, {
      action: 'backend.remove.flowsEnded',
      target: `${WEB} 198.19.14.2:8080`,
      before: null,
      after: { connectionsCut: 0, closedEntriesRemoved: 18 },
    });
    assert.equal(removal!.action, 'backend.remove');
    assert.equal((removal!.before as { activeFlows: number }).activeFlows, 0);
    /* Open and closed, forced, in one bulk call: the open ones are what is cut. */
    await operator().backends.add({ service: WEB, address: '198.19.15.2', port: 8080 });
    addFlows(t, WEB, '198.19.15.2:8080', 2, 52000);
    addClosedFlows(t, WEB, '198.19.15.2:8080', 3, 52100);
    const bulk = await operator().backends.bulk({ service: WEB, endpoints: ['198.19.15.2:8080'], change: { action: 'remove', force: true } });
    assert.deepEqual({ flowsEnded: bulk.flowsEnded, closed: bulk.closedEntriesRemoved }, { flowsEnded: 2, closed: 3 });
    assert.deepEqual((await audit())[0]!.after, { connectionsCut: 2, closedEntriesRemoved: 3 });
  });
});
