// audit.events: the entries a chart marks. Health transitions and agent starts are the system's own
// audit entries; operator actions are read back over a time range, scoped to a service or not.
// Through createCaller against a real agent of its own: real maps (no interface attached) and a real SQLite store.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SYSTEM_ACTOR_NAME } from '@sluice/api';
import { type TestAgent, startTestAgent } from './helpers.js';
import { T, WEB, addWebService, be } from './web-service.js';

/* Its own agent (not withWebServiceAgent): one test restarts it, and the one running at the end is stopped. */
let t: TestAgent;
before(async () => {
  t = await startTestAgent();
  await addWebService(t);
});
after(() => t?.stop());

const viewer = () => t.as('viewer');
const OTHER = '198.18.100.9:80/tcp';
/* A range start after every earlier entry: entries are stamped in ms, so the previous test's last one may share this ms. */
async function freshSince(): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 2));
  return Date.now();
}

describe('audit.events', () => {
  test('the agent records its own start: version, pid and the maps it adopted', T, async () => {
    const starts = (await viewer().audit.list({ action: 'agent.start' })).items;
    assert.equal(starts.length, 1);
    assert.equal(starts[0]!.actor, SYSTEM_ACTOR_NAME);
    assert.deepEqual(starts[0]!.after, { version: 'test', pid: process.pid, adoptedMaps: 0, interfaces: [] });
  });

  test('a health transition is a system entry with the backend, its service and the reason', T, async () => {
    const since = await freshSince();
    t.health.set(WEB, be(1), false);
    t.health.set(WEB, be(1), true);
    const health = (await viewer().audit.events({ service: WEB, since })).items.filter((e) => e.action.startsWith('health.'));
    assert.deepEqual(
      health.map((e) => ({ actor: e.actor, action: e.action, target: e.target, before: e.before, after: e.after })),
      [
        {
          actor: SYSTEM_ACTOR_NAME,
          action: 'health.down',
          target: `${WEB} ${be(1)}`,
          before: null,
          after: { up: false, reason: 'connection refused', checkType: 'tcp', latencyMs: 0.5 },
        },
        {
          actor: SYSTEM_ACTOR_NAME,
          action: 'health.up',
          target: `${WEB} ${be(1)}`,
          before: { up: false },
          after: { up: true, reason: 'tcp check passed', checkType: 'tcp', latencyMs: 0.5 },
        },
      ],
    );
  });

  test('a service scope has its own and its backends’ entries and the node’s, not another service’s; oldest first', T, async () => {
    const since = await freshSince();
    await t.as('admin').services.create({ address: '198.18.100.9', port: 80, protocol: 'tcp', backends: [{ address: '198.19.1.2', port: 8080 }] });
    await t.as('operator').backends.setWeight({ service: WEB, endpoint: be(2), weight: 5 });
    await t.as('admin').services.update({ service: WEB, algorithm: 'round-robin' });
    await t.as('operator').backends.setWeight({ service: OTHER, endpoint: be(1), weight: 2 });
    const actionsOf = async (service?: string) =>
      (await viewer().audit.events({ since, ...(service ? { service } : {}) })).items.map((e) => `${e.action} ${e.target}`);
    assert.deepEqual(await actionsOf(WEB), [`backend.setWeight ${WEB} ${be(2)}`, `service.update ${WEB}`]);
    assert.deepEqual(await actionsOf(OTHER), [`service.create ${OTHER}`, `backend.setWeight ${OTHER} ${be(1)}`]);
    assert.equal((await actionsOf()).length, 4);
  });

  test('the range bounds the entries, limit keeps the newest and says so; a restart is an event of every scope', T, async () => {
    const from = await freshSince();
    await t.as('operator').backends.setWeight({ service: WEB, endpoint: be(2), weight: 6 });
    await t.as('operator').backends.setWeight({ service: WEB, endpoint: be(2), weight: 7 });
    const to = Date.now();
    const range = await viewer().audit.events({ service: WEB, since: from, until: to, limit: 1 });
    assert.equal(range.truncated, true);
    assert.deepEqual((range.items[0]!.after as { weight: number }).weight, 7);
    assert.deepEqual(
      (await viewer().audit.events({ service: WEB, since: 0, until: from - 1 })).items.filter((e) => (e.after as any)?.weight >= 6),
      [],
    );

    t = await t.restart();
    const start = (await t.as('viewer').audit.events({ service: WEB, since: to })).items.at(-1)!;
    assert.equal(start.action, 'agent.start');
    assert.ok((start.after as { adoptedMaps: number }).adoptedMaps > 0, 'the restarted agent adopted the pinned maps');
  });

  test('bad ranges are refused with a sentence', T, async () => {
    await assert.rejects(viewer().audit.events({ since: 10, until: 5 }), /until must not be before since/);
    await assert.rejects(viewer().audit.events({ since: -1 }), /since/);
    await assert.rejects(viewer().audit.events({ since: 0, limit: 5000 }), /limit must be 1 to 2000/);
  });
});
