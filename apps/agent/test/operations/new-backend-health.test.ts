// Nothing is sent to a backend that was never checked: a real agent with the
// real HealthChecker (probes to loopback ports), its schedule driven by mock
// timers. A backend added to a service with a check is pending and out of the
// lookup table until its first check passes; without a check it serves at
// once; after a restart, backends keep the state the maps had. The service's
// eligible count always equals its rows.
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, mock, test } from 'node:test';
import { HealthChecker } from '../../src/health/index.js';
import { type TestServer, tcpServer } from '../health/servers.js';
import { type TestAgent, startTestAgent } from './helpers.js';

const T = { timeout: 30_000 };
const CHECK = { type: 'tcp' as const, intervalMs: 2000, timeoutMs: 1000, rise: 3, fall: 3 };
/* random() = 0: each pending target's first check is due at once (tick(0)); later ones every interval. */
const checker = () => new HealthChecker({ random: () => 0 });

let t: TestAgent<HealthChecker>;
let live: TestServer;
let dead: TestServer;
let service: string;
const endpoint = (server: TestServer) => `127.0.0.1:${server.port}`;

before(async () => {
  live = await tcpServer();
  /* A port where nothing listens: a server's, closed again. */
  dead = await tcpServer();
  await dead.stop();
  t = await startTestAgent(undefined, checker());
  service = (await t.as('admin').services.create({ address: '198.18.100.1', port: 80, protocol: 'tcp', healthCheck: CHECK })).name;
});
after(async () => {
  t?.stop();
  await live?.stop();
});
beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
afterEach(() => mock.timers.reset());

function tableBackendIds(name: string): Set<number> {
  const maps = t.maps;
  const id = t.agent.serviceDataplaneId(name)!;
  const entry = [...maps.services.entries()].find(([, v]) => v.id === id)!;
  const table = maps.lookupTables.lookup(id * 2 + entry[1].active_table)!;
  return new Set([...table.slots].filter((slot) => slot !== 0xffff));
}

/** The header's count (services.get and services.list) equals what the rows say, in every view. */
async function assertCountsMatchRows(name: string): Promise<void> {
  const detail = await t.as('viewer').services.get({ service: name });
  const rows = await t.as('viewer').backends.list({ service: name });
  const listed = (await t.as('viewer').services.list()).find((s) => s.name === name)!;
  const eligibleRows = rows.filter((b) => b.eligible).length;
  assert.equal(detail.eligibleBackends, eligibleRows, 'services.get count = rows');
  assert.equal(listed.eligibleBackends, eligibleRows, 'services.list count = rows');
  assert.equal(detail.eligibleBackends, detail.backends.filter((b) => b.eligible).length);
}

/** Waits for a probe's real I/O to finish (no timer: the clock is mocked). */
async function until(what: string, condition: () => boolean, spins = 100_000): Promise<void> {
  for (let i = 0; !condition(); i++) {
    if (i > spins) throw new Error(`never: ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('a backend added to a running service with a check', () => {
  test('on a port where nothing listens: pending, never in the table, then down; counts equal rows throughout', T, async () => {
    const added = await t.as('operator').backends.add({ service, address: '127.0.0.1', port: dead.port });
    assert.equal(added.eligible, false, 'not eligible before any check');
    assert.deepEqual([added.health?.up, added.health?.pending], [false, true]);
    const id = t.agent.backendFacts(service, endpoint(dead)).dataplaneId!;
    assert.ok(!tableBackendIds(service).has(id), 'no table names it');
    assert.equal(t.maps.backends.lookup(id)?.flags, 0, 'its entry does not take flows');
    await assertCountsMatchRows(service);
    const health = (await t.as('viewer').health.list({ service }))[0]!;
    assert.deepEqual([health.up, health.pending], [false, true]);

    mock.timers.tick(0);
    await until('the first check', () => t.health.status().some((h) => h.endpoint === endpoint(dead) && !h.pending));
    const [row] = await t.as('viewer').backends.list({ service });
    assert.deepEqual([row!.eligible, row!.health?.up, row!.health?.pending, row!.health?.consecutiveFailures], [false, false, false, 1]);
    assert.ok(!tableBackendIds(service).has(id));
    await assertCountsMatchRows(service);
  });

  test('on a listening port: pending until its first check passes, then eligible and in the table', T, async () => {
    const added = await t.as('operator').backends.add({ service, address: '127.0.0.1', port: live.port });
    assert.deepEqual([added.eligible, added.health?.pending], [false, true]);
    const id = t.agent.backendFacts(service, endpoint(live)).dataplaneId!;
    assert.ok(!tableBackendIds(service).has(id));
    assert.equal(live.connections.length, 0, 'not probed yet');
    await assertCountsMatchRows(service);

    mock.timers.tick(0);
    await until('the first pass', () => t.agent.isUp(service, endpoint(live)));
    const row = (await t.as('viewer').backends.list({ service })).find((b) => b.endpoint === endpoint(live))!;
    assert.deepEqual(
      [row.eligible, row.health?.up, row.health?.pending, row.health?.consecutiveSuccesses],
      [true, true, false, 1],
      `one pass, not rise ${CHECK.rise}`,
    );
    assert.deepEqual([...tableBackendIds(service)], [id]);
    await assertCountsMatchRows(service);
  });

  test('a refused add leaves no probe behind', T, async () => {
    await assert.rejects(t.as('operator').backends.add({ service, address: '127.0.0.1', port: live.port }), /already|CONFLICT/i);
    assert.equal(t.health.status().length, 2);
  });
});

describe('a backend of a service without a check', () => {
  test('is eligible at once, not pending', T, async () => {
    const plain = (await t.as('admin').services.create({ address: '198.18.100.2', port: 80, protocol: 'tcp', healthCheck: { type: 'none' } })).name;
    const added = await t.as('operator').backends.add({ service: plain, address: '127.0.0.1', port: dead.port });
    assert.equal(added.eligible, true);
    assert.equal(added.health, null);
    assert.equal(tableBackendIds(plain).size, 1);
    await assertCountsMatchRows(plain);
  });
});

describe('a service gaining a check', () => {
  test('keeps its serving backends eligible until their checks say otherwise', T, async () => {
    const name = (await t.as('admin').services.create({ address: '198.18.100.3', port: 80, protocol: 'tcp', healthCheck: { type: 'none' } })).name;
    await t.as('operator').backends.add({ service: name, address: '127.0.0.1', port: live.port });
    await t.as('admin').services.update({ service: name, healthCheck: CHECK });
    const [row] = await t.as('viewer').backends.list({ service: name });
    assert.deepEqual([row!.eligible, row!.health?.pending], [true, false]);
    assert.equal(tableBackendIds(name).size, 1);
  });
});

describe('an agent restart', () => {
  test('keeps each backend as the maps had it before any check: eligible stays eligible, down stays out', T, async () => {
    const before = await t.as('viewer').backends.list({ service });
    assert.deepEqual(
      before.map((b) => [b.endpoint, b.eligible]).sort(),
      [
        [endpoint(dead), false],
        [endpoint(live), true],
      ].sort(),
    );
    const tableBefore = tableBackendIds(service);
    t = await t.restart(checker());
    const after = await t.as('viewer').backends.list({ service });
    for (const b of after) {
      assert.equal(b.health?.lastCheckAt, null, `${b.endpoint}: not checked yet by the new agent`);
      assert.equal(b.health?.pending, false, `${b.endpoint}: its state is known from the maps`);
    }
    assert.deepEqual(after.map((b) => [b.endpoint, b.eligible]).sort(), before.map((b) => [b.endpoint, b.eligible]).sort());
    assert.deepEqual(tableBackendIds(service), tableBefore);
    await assertCountsMatchRows(service);
  });
});
