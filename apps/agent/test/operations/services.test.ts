// services.*: create, refusals, the service limit, algorithm switches and the client rate, each reaching the store, the maps and the audit.
// Through createCaller against a real agent of its own: real maps (no interface
// attached) and a real SQLite store.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { expectRefusedUnchanged } from './expect.js';
import { type TestAgent, startTestAgent } from './helpers.js';
import { T, WEB, tableBackendIds } from './web-service.js';

let t: TestAgent;
before(async () => {
  t = await startTestAgent();
});
after(() => t?.stop());

const admin = () => t.as('admin');
const viewer = () => t.as('viewer');

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
    assert.deepEqual(tableBackendIds(t, WEB), new Set(ids.backends.values()));
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
    await refuse('duplicate (other spelling)', () => a.services.create({ address: ' 198.18.100.1', port: 80, protocol: 'tcp' }), 'CONFLICT');
    await refuse(
      'mixed families',
      () => a.services.create({ address: '198.18.100.2', port: 80, protocol: 'tcp', backends: [{ address: '2001:db8::2', port: 80 }] }),
      'INVALID',
      /IPv6 but service .* is IPv4/,
    );
    await refuse(
      'backend twice',
      () =>
        a.services.create({
          address: '198.18.100.2',
          port: 80,
          protocol: 'tcp',
          backends: [
            { address: '198.19.1.2', port: 80 },
            { address: '198.19.1.2', port: 80 },
          ],
        }),
      'CONFLICT',
      /listed twice/,
    );
    await refuse(
      'weight 0 in create',
      () => a.services.create({ address: '198.18.100.2', port: 80, protocol: 'tcp', backends: [{ address: '198.19.1.2', port: 80, weight: 0 }] }),
      'INVALID',
    );
    await refuse(
      'timeout above interval',
      () => a.services.create({ address: '198.18.100.2', port: 80, protocol: 'tcp', healthCheck: { timeoutMs: 5000 } }),
      'INVALID',
      /timeoutMs 5000 exceeds intervalMs 2000/,
    );
    await refuse(
      'unknown algorithm',
      () => a.services.create({ address: '198.18.100.2', port: 80, protocol: 'tcp', algorithm: 'random' as 'maglev' }),
      'INVALID',
    );
    await refuse(
      'too many backends for one service',
      () =>
        a.services.create({
          address: '198.18.100.2',
          port: 80,
          protocol: 'tcp',
          backends: Array.from({ length: 9 }, (_, i) => ({ address: `198.19.${i}.9`, port: 80 })),
        }),
      'LIMIT_REACHED',
      /at most 8 backends/,
    );
    await refuse(
      'update unknown',
      () => a.services.update({ service: '198.18.100.9:80/tcp', algorithm: 'maglev' }),
      'NOT_FOUND',
      /no service 198.18.100.9:80\/tcp/,
    );
    await refuse('update bad health', () => a.services.update({ service: WEB, healthCheck: { intervalMs: 50 } }), 'INVALID');
    await refuse(
      'update: new interval below kept timeout',
      () => a.services.update({ service: WEB, healthCheck: { intervalMs: 500 } }),
      'INVALID',
      /exceeds intervalMs 500/,
    );
    await refuse(
      'negative client rate',
      () => a.services.create({ address: '198.18.100.2', port: 80, protocol: 'tcp', clientRate: -1 }),
      'INVALID',
      /clientRate must be 0 \(no limit\) to 1000000/,
    );
    await refuse(
      'client rate above the maximum',
      () => a.services.create({ address: '198.18.100.2', port: 80, protocol: 'tcp', clientRate: 1_000_001 }),
      'INVALID',
      /clientRate must be 0 \(no limit\) to 1000000/,
    );
    await refuse('fractional client rate', () => a.services.update({ service: WEB, clientRate: 2.5 }), 'INVALID', /clientRate must be a whole number/);
    await refuse(
      'update: client rate as text',
      () => a.services.update({ service: WEB, clientRate: '5' as unknown as number }),
      'INVALID',
      /clientRate must be a number/,
    );
    await refuse('delete unknown', () => a.services.delete({ service: '198.18.100.9:80/udp' }), 'NOT_FOUND');
    await refuse('delete bad name', () => a.services.delete({ service: '198.18.100.9:80' }), 'INVALID', /VIP:PORT\/PROTO/);
  });

  test('over the service limit: LIMIT_REACHED, nothing changes', T, async () => {
    const { maxServices } = t.agent.limits;
    const existing = t.store.services.count();
    for (let i = existing; i < maxServices; i++) await admin().services.create({ address: '198.18.100.8', port: 1000 + i, protocol: 'udp' });
    await expectRefusedUnchanged(
      t,
      'one too many',
      () => admin().services.create({ address: '198.18.100.8', port: 999, protocol: 'udp' }),
      'LIMIT_REACHED',
      new RegExp(`at most ${maxServices} services`),
    );
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
  const clientRateInMaps = (service: string) => [...t.maps.services.values()].find((v) => v.id === t.agent.serviceDataplaneId(service))?.client_rate;

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
