// config.export / config.import: a round trip changes nothing; dry runs, invalid and over-limit documents change nothing.
// Through createCaller against a real agent of its own: real maps (no interface
// attached) and a real SQLite store.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expectCode, expectRefusedUnchanged } from './expect.js';
import { type TestAgent, snapshot } from './helpers.js';
import { addFlows } from './flows.js';
import { T, WEB, be, withWebServiceAgent } from './web-service.js';

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

  test('the dry run names every change: services created, updated (which fields) and deleted, backends added, changed and removed', T, async () => {
    const document = await admin().config.export();
    /* Starting from WEB alone, as the file's agent made it (the test before added a service). */
    document.services = document.services.filter((s) => s.port === 80);
    document.services[0]!.backends = document.services[0]!.backends.filter((b) => b.address !== '198.19.6.2');
    await admin().config.import({ document });
    const changed = structuredClone(document);
    const web = changed.services[0]!;
    web.algorithm = 'round-robin';
    web.healthCheck = { ...web.healthCheck!, intervalMs: 5000 };
    web.backends = [
      { ...web.backends[0]!, weight: 5, state: 'drain' },
      { address: '198.19.7.2', port: 8080, weight: 1, state: 'ready' },
    ];
    changed.services.push({ address: '198.18.100.9', port: 53, protocol: 'udp', algorithm: 'maglev', mode: 'nat', backends: [] });
    const before = snapshot(t);
    const dry = await admin().config.import({ document: changed, dryRun: true });
    assert.deepEqual(snapshot(t), before, 'a dry run changes nothing');
    assert.deepEqual(dry.refusals, []);
    assert.deepEqual(dry.serviceChanges, [
      { service: WEB, change: 'update', detail: 'algorithm "maglev" -> "round-robin"; healthCheck.intervalMs 2000 -> 5000' },
      { service: '198.18.100.9:53/udp', change: 'create', detail: 'maglev, nat, health check none' },
    ]);
    assert.deepEqual(dry.backendChanges, [
      { service: WEB, endpoint: be(2), change: 'remove', detail: 'weight 3, ready, 0 active flows' },
      { service: WEB, endpoint: be(1), change: 'update', detail: 'weight 1 -> 5; state "ready" -> "drain"' },
      { service: WEB, endpoint: '198.19.7.2:8080', change: 'add', detail: 'weight 1, ready' },
    ]);
    /* The real import does what the preview said. */
    const applied = await admin().config.import({ document: changed });
    assert.deepEqual({ ...applied, dryRun: true }, dry);
    await admin().config.import({ document });
  });

  test('an import that would cut connections is refused naming every backend that carries them; the dry run lists them all', T, async () => {
    const document = await admin().config.export();
    addFlows(t, WEB, be(1), 2, 41000);
    addFlows(t, WEB, be(2), 3, 42000);
    const without = { ...document, services: [] };
    const dry = await admin().config.import({ document: without, dryRun: true });
    assert.equal(dry.refusals.length, 2);
    assert.match(dry.refusals[0]!, new RegExp(`remove backend ${be(1)} of .* 2 active flows`));
    assert.match(dry.refusals[1]!, new RegExp(`remove backend ${be(2)} of .* 3 active flows`));
    assert.deepEqual(dry.serviceChanges, [{ service: WEB, change: 'delete', detail: 'with its 2 backends' }]);
    const before = snapshot(t);
    await expectCode(
      admin().config.import({ document: without }),
      'CONFLICT',
      new RegExp(`${be(1).replaceAll('.', '\\.')}.*2 active flows; .*${be(2).replaceAll('.', '\\.')}.*3 active flows`),
    );
    assert.deepEqual(snapshot(t), before, 'the refused import changed nothing');
    assert.deepEqual((await admin().config.import({ document: without, dryRun: true, force: true })).refusals, [], 'force takes the refusals away');
  });
});
