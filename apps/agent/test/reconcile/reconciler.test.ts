// The reconciler against real maps: idempotent, adopts a running data plane
// without rewriting it, and refuses what the maps cannot hold before writing.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { type DataplaneConfig, dataplaneConfigSchema } from '@sluice/api';
import { type Dataplane, loadDataplane } from '../../src/dataplane/index.js';
import { Reconciler, ReconcileError } from '../../src/reconcile/reconciler.js';
import { serviceKeyOf } from '../../src/reconcile/map-entries.js';
import { OBJECT_PATH, SMALL_MAPS } from './helpers.js';

let dataplane: Dataplane;
beforeEach(() => {
  dataplane = loadDataplane({ objectPath: OBJECT_PATH, maxEntries: SMALL_MAPS });
});
afterEach(() => dataplane.close());

const config = (backends: number, algorithm = 'maglev'): DataplaneConfig =>
  dataplaneConfigSchema.parse({
    services: [
      {
        address: '198.18.100.1',
        port: 80,
        protocol: 'tcp',
        algorithm,
        backends: Array.from({ length: backends }, (_, i) => ({ address: `198.19.${i + 1}.2`, port: 8080 })),
      },
    ],
  });

const reconcilerFor = (dp: Dataplane) => new Reconciler(dp.maps, Reconciler.limitsOf(dp.maps, 1024));

/** Every configuration map's content, to compare before and after. */
function snapshot(dp: Dataplane): string {
  const maps = dp.maps;
  const dump = (entries: Iterable<[unknown, unknown]>) =>
    JSON.stringify([...entries], (_, v) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint16Array ? Buffer.from(v.buffer).toString('base64') : v));
  return [
    dump(maps.services.entries()),
    dump(maps.vips.entries()),
    dump(maps.serviceVips.entries()),
    dump(maps.backends.entries()),
    dump(maps.backendEndpoints.entries()),
    dump(maps.endpointFilter.entries()),
    dump(maps.lookupTables.entries()),
  ].join('\n');
}

test('applying the same state twice writes nothing the second time', () => {
  const reconciler = reconcilerFor(dataplane);
  const first = reconciler.apply(config(3));
  assert.equal(first.tablesWritten, 1);
  assert.equal(first.backendsAdded, 3);
  const before = snapshot(dataplane);
  const second = reconciler.apply(config(3));
  assert.deepEqual(second, { servicesWritten: [], servicesRemoved: [], tablesWritten: 0, backendsAdded: 0, backendsRemoved: 0 });
  assert.equal(snapshot(dataplane), before);
});

test('a service whose apply failed part-way is written again by the next apply, even of the same state', () => {
  const reconciler = reconcilerFor(dataplane);
  reconciler.apply(config(3));
  const before = snapshot(dataplane);
  /* The table write fails after the new backend's entry went in. */
  const tables = dataplane.maps.lookupTables;
  const update = tables.update.bind(tables);
  tables.update = () => {
    throw new Error('injected map failure');
  };
  assert.throws(() => reconciler.apply(config(4)), /injected map failure/);
  tables.update = update;
  reconciler.apply(config(3));
  assert.equal(snapshot(dataplane), before);
  const report = reconciler.apply(config(4));
  assert.equal(report.tablesWritten, 1);
});

test('a change to one service leaves the maps of the others untouched', () => {
  const reconciler = reconcilerFor(dataplane);
  const two = (backends: number) =>
    dataplaneConfigSchema.parse({
      services: [
        config(3).services[0],
        { address: '198.18.100.2', port: 80, protocol: 'tcp', algorithm: 'maglev', backends: Array.from({ length: backends }, (_, i) => ({ address: `198.19.${i + 1}.2`, port: 9090 })) },
      ],
    });
  reconciler.apply(two(2));
  const writes: string[] = [];
  for (const name of ['services', 'serviceVips', 'backends', 'lookupTables', 'vips'] as const) {
    const map = dataplane.maps[name] as { update: (...args: unknown[]) => unknown };
    const update = map.update.bind(map);
    map.update = (...args: unknown[]) => (writes.push(name), update(...args));
  }
  reconciler.apply(two(3));
  assert.ok(writes.includes('lookupTables'), 'the changed service gets its new table');
  assert.equal(writes.filter((w) => w === 'serviceVips' || w === 'vips').length, 1, `only the changed service's VIP entry is written: ${writes.join(', ')}`);
});

test('a new reconciler adopts the maps and changes nothing when the state is the same', () => {
  reconcilerFor(dataplane).apply(config(3));
  const before = snapshot(dataplane);
  const adopted = reconcilerFor(dataplane);
  adopted.adopt();
  const report = adopted.apply(config(3));
  assert.equal(report.tablesWritten, 0, 'the live table is kept');
  assert.equal(report.backendsAdded, 0, 'backend ids are recovered');
  assert.equal(snapshot(dataplane), before);
  assert.deepEqual([...adopted.ids().values()][0]!.backends.size, 3);
});

test('a table change goes to the idle copy, then the service flips to it', () => {
  const reconciler = reconcilerFor(dataplane);
  reconciler.apply(config(3));
  const key = serviceKeyOf({ address: '198.18.100.1', port: 80, protocol: 'tcp' });
  const first = dataplane.maps.services.lookup(key)!;
  const liveBefore = dataplane.maps.lookupTables.lookup(first.id * 2 + first.active_table)!.slots.slice();
  reconciler.apply(config(4));
  const second = dataplane.maps.services.lookup(key)!;
  assert.equal(second.active_table, 1 - first.active_table);
  const oldCopy = dataplane.maps.lookupTables.lookup(first.id * 2 + first.active_table)!.slots;
  assert.deepEqual(oldCopy, liveBefore, 'the table packets were using is left as it was');
});

test('an algorithm switch with the same table only rewrites the service entry', () => {
  const reconciler = reconcilerFor(dataplane);
  reconciler.apply(config(3, 'maglev'));
  const report = reconciler.apply(config(3, 'source-hash'));
  assert.equal(report.tablesWritten, 0);
  assert.deepEqual(report.servicesWritten, ['198.18.100.1:80/tcp']);
});

test('over a limit: refused with LIMIT_REACHED and nothing written', () => {
  const reconciler = new Reconciler(dataplane.maps, { ...Reconciler.limitsOf(dataplane.maps, 1024), maxBackendsPerService: 2 });
  reconciler.apply(config(2));
  const before = snapshot(dataplane);
  assert.throws(() => reconciler.apply(config(3)), (error: unknown) => error instanceof ReconcileError && error.code === 'LIMIT_REACHED' && /limit is 2/.test(error.message));
  assert.equal(snapshot(dataplane), before);
});

test('removing a service clears its backends, VIP and match', () => {
  const reconciler = reconcilerFor(dataplane);
  reconciler.apply(config(3));
  const report = reconciler.apply({ services: [] });
  assert.deepEqual(report.servicesRemoved, ['198.18.100.1:80/tcp']);
  assert.equal([...dataplane.maps.services.entries()].length, 0);
  assert.equal([...dataplane.maps.vips.entries()].length, 0);
  assert.equal([...dataplane.maps.backends.entries()].filter(([, b]) => b.family !== 0).length, 0);
});
