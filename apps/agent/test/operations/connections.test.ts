// connections.list: a filtered page of the flow table, with a cursor.
// Through createCaller against a real agent of its own: real maps (no interface
// attached) and a real SQLite store.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expectCode } from './expect.js';
import { addFlows } from './flows.js';
import type { TestAgent } from './helpers.js';
import { T, WEB, be, withWebServiceAgent } from './web-service.js';

let t: TestAgent;
withWebServiceAgent((agent) => (t = agent));

const operator = () => t.as('operator');
const viewer = () => t.as('viewer');

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
    /* The whole table above any filter: 7 open flows, none closing or closed, of the map's capacity. */
    const none = await viewer().connections.list({ client: '198.18.0.99' });
    assert.equal(none.items.length, 0);
    assert.deepEqual(
      { ...none.table, snapshotAgeMs: typeof none.table.snapshotAgeMs },
      {
        capacity: t.maps.flows.maxEntries,
        tracked: 7,
        byState: { none: 0, 'syn-sent': 0, established: 7, 'fin-wait': 0, closed: 0 },
        snapshotAgeMs: 'number',
      },
    );
    await expectCode(viewer().connections.list({ backend: be(9) }), 'NOT_FOUND');
    await expectCode(viewer().connections.list({ limit: 1001 }), 'INVALID');
    await operator().backends.setState({ service: WEB, endpoint: be(2), state: 'maint' });
    await operator().backends.remove({ service: WEB, endpoint: be(2), force: true });
    await operator().backends.add({ service: WEB, address: '198.19.2.2', port: 8080, weight: 3 });
  });

  test('a backend alone matches it in every service it serves; with a service, only that one', T, async () => {
    const ALT = '198.18.100.1:8443/tcp';
    await t.as('admin').services.create({ address: '198.18.100.1', port: 8443, protocol: 'tcp', backends: [{ address: '198.19.1.2', port: 8080 }] });
    addFlows(t, WEB, be(1), 3, 43000);
    addFlows(t, ALT, be(1), 2, 44000);
    const both = await viewer().connections.list({ backend: be(1), limit: 100 });
    assert.deepEqual(
      both.items.map((f) => `${f.service} ${f.backend} ${f.clientPort}`).sort(),
      [...[43000, 43001, 43002].map((port) => `${WEB} ${be(1)} ${port}`), ...[44000, 44001].map((port) => `${ALT} ${be(1)} ${port}`)].sort(),
    );
    const alt = await viewer().connections.list({ backend: be(1), service: ALT, limit: 100 });
    assert.deepEqual(alt.items.map((f) => `${f.service} ${f.clientPort}`).sort(), [`${ALT} 44000`, `${ALT} 44001`]);
    /* Paged across both services by the cursor: the same five, once each. */
    const first = await viewer().connections.list({ backend: be(1), limit: 3 });
    const second = await viewer().connections.list({ backend: be(1), limit: 3, cursor: first.nextCursor! });
    assert.equal(second.nextCursor, null);
    assert.equal(new Set([...first.items, ...second.items].map((f) => f.clientPort)).size, 5);
    await expectCode(viewer().connections.list({ backend: be(2), service: ALT }), 'NOT_FOUND');
    await t.as('admin').services.delete({ service: ALT, force: true });
  });
});
