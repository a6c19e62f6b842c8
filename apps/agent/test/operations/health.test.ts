// health.*: a backend the checker reports down leaves the table and loses its flows; back up, it returns.
// Through createCaller against a real agent of its own: real maps (no interface
// attached) and a real SQLite store.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TestAgent } from './helpers.js';
import { T, WEB, be, tableBackendIds, withWebServiceAgent } from './web-service.js';

let t: TestAgent;
withWebServiceAgent((agent) => (t = agent));

const viewer = () => t.as('viewer');

describe('health', () => {
  test('a backend that is down leaves the table and loses its flows; back up, it returns', T, async () => {
    const id = t.agent.backendFacts(WEB, be(1)).dataplaneId!;
    t.health.set(WEB, be(1), false);
    assert.ok(!tableBackendIds(t, WEB).has(id));
    assert.equal(t.maps.backends.lookup(id)?.flags, 0);
    const health = (await viewer().health.list({ service: WEB })).find((h) => h.endpoint === be(1))!;
    assert.equal(health.up, false);
    assert.equal(health.consecutiveFailures, 3);
    assert.equal((await viewer().backends.list({ service: WEB })).find((b) => b.endpoint === be(1))?.eligible, false);
    t.health.set(WEB, be(1), true);
    assert.ok(tableBackendIds(t, WEB).has(id));
  });
});
