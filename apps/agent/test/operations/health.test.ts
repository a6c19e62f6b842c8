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
    await t.health.set(WEB, be(1), false);
    assert.ok(!tableBackendIds(t, WEB).has(id));
    assert.equal(t.maps.backends.lookup(id)?.flags, 0);
    const health = (await viewer().health.list({ service: WEB })).find((h) => h.endpoint === be(1))!;
    assert.equal(health.up, false);
    assert.equal(health.consecutiveFailures, 3);
    assert.equal((await viewer().backends.list({ service: WEB })).find((b) => b.endpoint === be(1))?.eligible, false);
    await t.health.set(WEB, be(1), true);
    assert.ok(tableBackendIds(t, WEB).has(id));
  });

  test("flips that come in one turn of the event loop are reconciled together: the service's table is written once", T, async () => {
    const tables = t.maps.lookupTables;
    const update = tables.update;
    let writes = 0;
    tables.update = (...args: Parameters<typeof update>) => {
      writes++;
      return update.apply(tables, args);
    };
    try {
      await Promise.all([t.health.set(WEB, be(1), false), t.health.set(WEB, be(2), false)]);
      assert.equal(writes, 1, 'one table for both flips');
      const ids = tableBackendIds(t, WEB);
      for (const i of [1, 2]) assert.ok(!ids.has(t.agent.backendFacts(WEB, be(i)).dataplaneId!), `be(${i}) left the table`);
      await t.health.set(WEB, be(1), true);
      await t.health.set(WEB, be(2), true);
      assert.equal(writes, 3, 'a lone flip is reconciled on its own turn');
    } finally {
      tables.update = update;
    }
  });
});
