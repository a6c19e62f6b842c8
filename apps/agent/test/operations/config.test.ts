// config.export / config.import: a round trip changes nothing; dry runs, invalid and over-limit documents change nothing.
// Through createCaller against a real agent of its own: real maps (no interface
// attached) and a real SQLite store.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expectRefusedUnchanged } from './expect.js';
import { type TestAgent, snapshot } from './helpers.js';
import { T, withWebServiceAgent } from './web-service.js';

let t: TestAgent;
withWebServiceAgent((agent) => (t = agent));

const admin = () => t.as('admin');

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
    const tooMany = {
      version: 1 as const,
      services: Array.from({ length: 5 }, (_, i) => ({ address: '198.18.100.5', port: 100 + i, protocol: 'tcp' as const })),
    };
    await expectRefusedUnchanged(t, 'over the limit', () => admin().config.import({ document: tooMany }), 'LIMIT_REACHED');
    const bad = structuredClone(changed) as any;
    bad.services[0].backends[0].port = 0;
    await expectRefusedUnchanged(t, 'port 0', () => admin().config.import({ document: bad }), 'INVALID');
    const result = await admin().config.import({ document: changed });
    assert.deepEqual(result.servicesCreated, ['[2001:db8:100::1]:53/udp']);
    assert.deepEqual(await admin().config.export(), {
      ...changed,
      services: [...changed.services]
        .sort((a, b) => (a.address < b.address ? -1 : 1))
        .map((s) => ({ ...s, healthCheck: s.healthCheck ?? { type: 'none', intervalMs: 2000, timeoutMs: 1000, rise: 2, fall: 3 } })),
    });
  });
});
