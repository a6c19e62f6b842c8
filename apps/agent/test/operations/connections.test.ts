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
    assert.equal((await viewer().connections.list({ client: '198.18.0.99' })).items.length, 0);
    await expectCode(viewer().connections.list({ backend: be(9) }), 'NOT_FOUND');
    await expectCode(viewer().connections.list({ limit: 1001 }), 'INVALID');
    await operator().backends.setState({ service: WEB, endpoint: be(2), state: 'maint' });
    await operator().backends.remove({ service: WEB, endpoint: be(2), force: true });
    await operator().backends.add({ service: WEB, address: '198.19.2.2', port: 8080, weight: 3 });
  });
});
