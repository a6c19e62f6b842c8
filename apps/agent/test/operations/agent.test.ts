// The Agent's change pipeline and lifecycle: a failed reconcile rolls store and maps back; a restarted agent adopts the maps and reads the store.
// Through createCaller against a real agent of its own: real maps (no interface
// attached) and a real SQLite store.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expectCode } from './expect.js';
import { type TestAgent, mapsSnapshot, snapshot, storeSnapshot } from './helpers.js';
import { T, WEB, tableBackendIds, withWebServiceAgent } from './web-service.js';

let t: TestAgent;
withWebServiceAgent((agent) => (t = agent));

const operator = () => t.as('operator');
const viewer = () => t.as('viewer');

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
    assert.deepEqual(tableBackendIds(t, WEB).size, 2);
    const added = await operator().backends.add({ service: WEB, address: '198.19.5.2', port: 8080 });
    assert.equal(added.eligible, true, 'the agent works on afterwards');
    await operator().backends.remove({ service: WEB, endpoint: '198.19.5.2:8080' });
  });
});

describe('restart', () => {
  test('a restarted agent adopts the maps and reads the store: state after equals state before', T, async () => {
    const before = snapshot(t);
    const servicesBefore = await viewer().services.list();
    t = await t.restart();
    /* The one change a restart makes: its own audit entry (agent.start), which charts mark. */
    const after = snapshot(t) as { store: { audit: { action: string }[] } };
    const auditBefore = (before as typeof after).store.audit.length;
    assert.deepEqual(
      after.store.audit.slice(auditBefore).map((row) => row.action),
      ['agent.start'],
    );
    after.store.audit = after.store.audit.slice(0, auditBefore);
    assert.deepEqual(after, before);
    assert.deepEqual(
      (await viewer().services.list()).map(({ updatedAt, ...s }) => s),
      servicesBefore.map(({ updatedAt, ...s }) => s),
    );
  });
});
