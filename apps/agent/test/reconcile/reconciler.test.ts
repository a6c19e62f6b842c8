// The reconciler against real maps: idempotent, adopts a running data plane
// without rewriting it, and refuses what the maps cannot hold before writing.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { type DataplaneConfig, dataplaneConfigSchema } from '@sluice/api';
import { type Dataplane, loadDataplane } from '@sluice/dataplane';
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
  /* The fourth backend's entry went in before the failure, but no live table named it: no flow can, so it is freed at once. */
  assert.deepEqual(reconciler.retiredBackendIds(), []);
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
        {
          address: '198.18.100.2',
          port: 80,
          protocol: 'tcp',
          algorithm: 'maglev',
          backends: Array.from({ length: backends }, (_, i) => ({ address: `198.19.${i + 1}.2`, port: 9090 })),
        },
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
  assert.throws(
    () => reconciler.apply(config(3)),
    (error: unknown) => error instanceof ReconcileError && error.code === 'LIMIT_REACHED' && /at most 2 backends/.test(error.message),
  );
  assert.equal(snapshot(dataplane), before);
});

test('removing a service clears its backends, VIP and match', () => {
  const reconciler = reconcilerFor(dataplane);
  reconciler.apply(config(3));
  const report = reconciler.apply({ services: [] });
  assert.deepEqual(report.servicesRemoved, ['198.18.100.1:80/tcp']);
  assert.equal([...dataplane.maps.services.entries()].length, 0);
  assert.equal([...dataplane.maps.vips.entries()].length, 0);
  reconciler.freeRetired(reconciler.retiredBackendIds());
  assert.equal([...dataplane.maps.backends.entries()].filter(([, b]) => b.family !== 0).length, 0);
  assert.equal([...dataplane.maps.serviceVips.entries()].filter(([, vip]) => vip.family !== 0).length, 0);
});

/*
 * Removal in two phases (issue 9, point 6c): freeing a removed backend at once
 * let a reply of its last flows leave untranslated (no endpoint pair), and let
 * a backend added meanwhile take its id and then lose its flows to the removal's
 * end-flows job.
 */
test('a removed backend is retired: no flow follows it, but its reply pair and its id stay until freed', () => {
  const reconciler = new Reconciler(dataplane.maps, { ...Reconciler.limitsOf(dataplane.maps, 1024), maxBackends: 3 });
  reconciler.apply(config(3));
  const removedId = reconciler.backendIdOf('198.18.100.1:80/tcp', '198.19.1.2:8080')!;
  const keptConfig = dataplaneConfigSchema.parse({ services: [{ ...config(3).services[0], backends: config(3).services[0]!.backends.slice(1) }] });
  reconciler.apply(keptConfig);

  const entry = dataplane.maps.backends.lookup(removedId)!;
  assert.equal(entry.flags, 0, 'no flow follows it');
  assert.equal(entry.family, 4, 'its entry still names it');
  const owners = dataplane.maps.backendEndpoints.lookup(serviceKeyOf({ address: '198.19.1.2', port: 8080, protocol: 'tcp' }))!;
  assert.deepEqual([owners.count, owners.backend_ids[0]], [1, removedId], 'its reply pair stays');
  assert.deepEqual(reconciler.retiredBackendIds(), [removedId]);

  /* Its id is not free: a new backend is refused (all 3 ids taken), saying why. */
  const withNew = dataplaneConfigSchema.parse({
    services: [{ ...keptConfig.services[0], backends: [...keptConfig.services[0]!.backends, { address: '198.19.9.2', port: 8080 }] }],
  });
  assert.throws(
    () => reconciler.apply(withNew),
    (error: unknown) =>
      error instanceof ReconcileError && error.code === 'LIMIT_REACHED' && /removed ones whose flows are still being ended/.test(error.message),
  );

  /* Once its flows are gone, the agent frees it: then the id is free for the new backend. */
  assert.deepEqual(reconciler.freeRetired([removedId]), [removedId]);
  assert.equal(dataplane.maps.backends.lookup(removedId)!.family, 0);
  assert.equal(dataplane.maps.backendEndpoints.lookup(serviceKeyOf({ address: '198.19.1.2', port: 8080, protocol: 'tcp' })), undefined);
  reconciler.apply(withNew);
  assert.equal(reconciler.backendIdOf('198.18.100.1:80/tcp', '198.19.9.2:8080'), removedId, 'the freed id is reused only now');
});

test('a removed service keeps its VIP and id for its retired backends; a restarted agent adopts them as retired', () => {
  reconcilerFor(dataplane).apply(config(2));
  const first = reconcilerFor(dataplane);
  first.adopt();
  const serviceId = first.serviceIdOf('198.18.100.1:80/tcp')!;
  first.apply({ services: [] });
  assert.equal(dataplane.maps.serviceVips.lookup(serviceId)?.family, 4, 'replies of its flows still find the VIP');

  const restarted = reconcilerFor(dataplane);
  restarted.adopt();
  assert.equal(restarted.retiredBackendIds().length, 2);
  /* Its id stays taken: a new service gets another. */
  restarted.apply(dataplaneConfigSchema.parse({ services: [{ ...config(1).services[0], address: '198.18.100.9' }] }));
  assert.notEqual(restarted.serviceIdOf('198.18.100.9:80/tcp'), serviceId);
  restarted.freeRetired(restarted.retiredBackendIds());
  assert.equal(dataplane.maps.serviceVips.lookup(serviceId)?.family, 0, 'the VIP goes with its last backend');
  assert.equal(restarted.retiredBackendIds().length, 0);
});
