// The reply path's maps: backend_endpoints names, per backend endpoint, the
// (service, backend id) pairs it serves, and endpoint_filter has its bit set
// exactly while it does; sharing an endpoint beyond the limit is refused.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { dataplaneConfigSchema } from '@sluice/api';
import { type Dataplane, loadDataplane } from '@sluice/dataplane';
import { Reconciler, ReconcileError } from '../../src/reconcile/reconciler.js';
import { serviceKeyOf } from '../../src/reconcile/map-entries.js';
import { MAX_SERVICES_PER_ENDPOINT } from '../../src/reconcile/endpoint-owners.js';
import { endpointFilterBit } from '../../src/reconcile/endpoint-filter.js';
import { OBJECT_PATH, SMALL_MAPS } from './helpers.js';

let dataplane: Dataplane;
beforeEach(() => {
  dataplane = loadDataplane({
    objectPath: OBJECT_PATH,
    maxEntries: { ...SMALL_MAPS, services: 32, vips: 32, service_vips: 32, lookup_tables: 64, rr_cursors: 32, service_counters: 32 },
  });
});
afterEach(() => dataplane.close());

const SHARED = { address: '198.19.1.2', port: 8080 };
/** `n` services on VIPs 198.18.100.1.., each with the shared backend (and one of its own). */
const config = (n: number, protocol: 'tcp' | 'udp' = 'tcp') =>
  dataplaneConfigSchema.parse({
    services: Array.from({ length: n }, (_, i) => ({
      address: `198.18.100.${i + 1}`,
      port: 80,
      protocol,
      algorithm: 'round-robin',
      backends: [SHARED, { address: `198.19.2.${i + 1}`, port: 8080 }],
    })),
  });

const sharedKey = (protocol: 'tcp' | 'udp' = 'tcp') => serviceKeyOf({ ...SHARED, protocol });

function filterHas(key: ReturnType<typeof serviceKeyOf>): boolean {
  const bit = endpointFilterBit(key);
  const word = dataplane.maps.endpointFilter.lookup(Math.floor(bit / 64)) ?? 0n;
  return (word & (1n << BigInt(bit % 64))) !== 0n;
}

/** Every entry of the reply path's maps, comparable. */
const replyMaps = () =>
  JSON.stringify(
    [
      ...dataplane.maps.backendEndpoints.entries(),
      ...dataplane.maps.endpointFilter.entries(),
      ...[...dataplane.maps.endpointSlots.entries()].filter(([, value]) => value !== 0),
    ],
    (_, v) => (typeof v === 'bigint' ? v.toString() : v),
  );

const slotOf = (key: ReturnType<typeof serviceKeyOf>) => dataplane.maps.endpointSlots.lookup(endpointFilterBit(key));
const backendIdOf = (reconciler: Reconciler, vip: string, backend: string) => reconciler.ids().get(`${vip}:80/tcp`)!.backends.get(backend)!;

test('a backend endpoint serving several services names each of them, with its backend id there', () => {
  const reconciler = new Reconciler(dataplane.maps, Reconciler.limitsOf(dataplane.maps, 1024));
  reconciler.apply(config(3));
  const owners = dataplane.maps.backendEndpoints.lookup(sharedKey())!;
  assert.equal(owners.count, 3);
  const ids = reconciler.ids();
  const expected = [1, 2, 3].map((i) => {
    const service = ids.get(`198.18.100.${i}:80/tcp`)!;
    return [service.id, service.backends.get('198.19.1.2:8080')!];
  });
  const actual = Array.from({ length: owners.count }, (_, i) => [owners.service_ids[i]!, owners.backend_ids[i]!]);
  assert.deepEqual(actual.sort(), expected.sort());
  assert.ok(filterHas(sharedKey()), 'its filter bit is set');
  assert.equal(dataplane.maps.backendEndpoints.lookup(sharedKey('udp')), undefined, 'the same address:port over UDP is another endpoint');
});

test('removing services takes their pairs off; the last one removes the entry and its filter bit', () => {
  const reconciler = new Reconciler(dataplane.maps, Reconciler.limitsOf(dataplane.maps, 1024));
  reconciler.apply(config(3));
  reconciler.apply(config(1));
  /* Removed backends are retired: their pairs stay, for replies, until their flows are gone (the agent then frees them). */
  assert.equal(dataplane.maps.backendEndpoints.lookup(sharedKey())!.count, 3);
  reconciler.freeRetired(reconciler.retiredBackendIds());
  assert.equal(dataplane.maps.backendEndpoints.lookup(sharedKey())!.count, 1);
  reconciler.apply(config(0));
  reconciler.freeRetired(reconciler.retiredBackendIds());
  assert.equal(dataplane.maps.backendEndpoints.lookup(sharedKey()), undefined);
  assert.equal([...dataplane.maps.backendEndpoints.entries()].length, 0);
  assert.ok(
    [...dataplane.maps.endpointFilter.entries()].every(([, word]) => word === 0n),
    'every filter bit is clear',
  );
});

test('a restarted agent adopts the pairs and writes nothing new', () => {
  new Reconciler(dataplane.maps, Reconciler.limitsOf(dataplane.maps, 1024)).apply(config(2));
  const before = replyMaps();
  const adopted = new Reconciler(dataplane.maps, Reconciler.limitsOf(dataplane.maps, 1024));
  adopted.adopt();
  adopted.apply(config(2));
  assert.equal(replyMaps(), before);
  adopted.apply(config(0));
  adopted.freeRetired(adopted.retiredBackendIds());
  assert.equal([...dataplane.maps.backendEndpoints.entries()].length, 0, 'adopted pairs are removed like its own');
});

test(`one endpoint in more than ${MAX_SERVICES_PER_ENDPOINT} services is refused before anything is written`, () => {
  const reconciler = new Reconciler(dataplane.maps, Reconciler.limitsOf(dataplane.maps, 1024));
  reconciler.apply(config(2));
  const before = JSON.stringify([...dataplane.maps.backendEndpoints.entries()], (_, v) => (typeof v === 'bigint' ? v.toString() : v));
  assert.throws(
    () => reconciler.apply(config(MAX_SERVICES_PER_ENDPOINT + 1)),
    (error: unknown) =>
      error instanceof ReconcileError && error.code === 'LIMIT_REACHED' && /198\.19\.1\.2:8080\/tcp would serve 17 services/.test(error.message),
  );
  assert.equal(
    JSON.stringify([...dataplane.maps.backendEndpoints.entries()], (_, v) => (typeof v === 'bigint' ? v.toString() : v)),
    before,
  );
  assert.equal([...dataplane.maps.services.entries()].length, 2);
  reconciler.apply(config(MAX_SERVICES_PER_ENDPOINT));
  assert.equal(dataplane.maps.backendEndpoints.lookup(sharedKey())!.count, MAX_SERVICES_PER_ENDPOINT);
});

test('an endpoint serving one service has its backend in its slot; one serving several has none, until it serves one again', () => {
  const reconciler = new Reconciler(dataplane.maps, Reconciler.limitsOf(dataplane.maps, 1024));
  reconciler.apply(config(3));
  assert.equal(slotOf(sharedKey()), 0, 'shared by three services');
  for (const i of [1, 2, 3]) {
    const own = serviceKeyOf({ address: `198.19.2.${i}`, port: 8080, protocol: 'tcp' });
    assert.equal(slotOf(own), backendIdOf(reconciler, `198.18.100.${i}`, `198.19.2.${i}:8080`) + 1, `198.19.2.${i} serves one`);
  }
  reconciler.apply(config(1));
  assert.equal(slotOf(sharedKey()), 0, 'retired pairs still count until freed');
  reconciler.freeRetired(reconciler.retiredBackendIds());
  assert.equal(slotOf(sharedKey()), backendIdOf(reconciler, '198.18.100.1', '198.19.1.2:8080') + 1, 'serves one again');
  reconciler.apply(config(0));
  reconciler.freeRetired(reconciler.retiredBackendIds());
  assert.ok(
    [...dataplane.maps.endpointSlots.entries()].every(([, value]) => value === 0),
    'every slot is clear',
  );
});

test('two endpoints with one filter bit share no slot; when one goes, the other gets it, and the bit stays set until both are gone', () => {
  const keyOf = (address: string) => serviceKeyOf({ address, port: 8080, protocol: 'tcp' });
  /* Two backend addresses whose endpoints hash to the same bit (found by search: 2^16 bits). */
  const seen = new Map<number, string>();
  let pair: [string, string] | undefined;
  for (let n = 0; !pair && n < 65536; n++) {
    const address = `10.${(n >> 8) & 255}.${n & 255}.1`;
    const bit = endpointFilterBit(keyOf(address));
    const earlier = seen.get(bit);
    if (earlier !== undefined) pair = [earlier, address];
    seen.set(bit, address);
  }
  assert.ok(pair, 'two addresses share a bit');
  const [first, second] = pair;
  const service = (addresses: string[]) =>
    dataplaneConfigSchema.parse({
      services: [
        {
          address: '198.18.100.1',
          port: 80,
          protocol: 'tcp',
          algorithm: 'round-robin',
          backends: addresses.map((address) => ({ address, port: 8080 })),
        },
      ],
    });
  const reconciler = new Reconciler(dataplane.maps, Reconciler.limitsOf(dataplane.maps, 1024));
  reconciler.apply(service([first, second]));
  assert.equal(slotOf(keyOf(first)), 0, 'two endpoints on the bit');
  reconciler.apply(service([second]));
  reconciler.freeRetired(reconciler.retiredBackendIds());
  assert.equal(slotOf(keyOf(second)), backendIdOf(reconciler, '198.18.100.1', `${second}:8080`) + 1, 'the one left has it');
  assert.ok(filterHas(keyOf(second)), 'the shared filter bit stays set while one endpoint has it');
  reconciler.apply(service([]));
  reconciler.freeRetired(reconciler.retiredBackendIds());
  assert.ok(!filterHas(keyOf(second)), 'and is cleared with the last one');
});

test('a restarted agent puts a wrong slot right (an upgrade from a build without slots, a write the last agent did not finish)', () => {
  new Reconciler(dataplane.maps, Reconciler.limitsOf(dataplane.maps, 1024)).apply(config(2));
  const before = replyMaps();
  const own = serviceKeyOf({ address: '198.19.2.1', port: 8080, protocol: 'tcp' });
  dataplane.maps.endpointSlots.update(endpointFilterBit(own), 0);
  dataplane.maps.endpointSlots.update(endpointFilterBit(sharedKey()), 7);
  dataplane.maps.endpointSlots.update(12345, 99);
  new Reconciler(dataplane.maps, Reconciler.limitsOf(dataplane.maps, 1024)).adopt();
  assert.equal(replyMaps(), before);
});
