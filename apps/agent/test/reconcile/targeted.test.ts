// A change applied to the services it touched (applyServices) leaves the
// maps exactly as apply() of the whole state does: two data planes, one
// reconciled whole and one targeted, through the same seeded sequence of
// changes, compared map by map after each; and a change over a limit is
// refused by both in the same words, with nothing written.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, test } from 'node:test';
import { type ServiceSpec, dataplaneConfigSchema, formatEndpoint, serviceName } from '@sluice/api';
import { type Dataplane, loadDataplane } from '@sluice/dataplane';
import { Reconciler, ReconcileError } from '../../src/reconcile/reconciler.js';
import { OBJECT_PATH, SMALL_MAPS } from './helpers.js';

let whole: Dataplane;
let targeted: Dataplane;
beforeEach(() => {
  whole = loadDataplane({ objectPath: OBJECT_PATH, maxEntries: SMALL_MAPS });
  targeted = loadDataplane({ objectPath: OBJECT_PATH, maxEntries: SMALL_MAPS });
});
afterEach(() => {
  whole.close();
  targeted.close();
});

const MAPS = ['services', 'vips', 'vipFilter', 'serviceVips', 'backends', 'backendEndpoints', 'endpointFilter', 'lookupTables', 'rrCursors'] as const;

/** Every configuration map's content, by map: a digest (a lookup table is 128 KB); entries sorted (each hash map has its own hash seed). */
function snapshot(dp: Dataplane): Record<string, string> {
  const text = (v: unknown) =>
    JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? x.toString() : x instanceof Uint16Array ? createHash('sha256').update(x).digest('hex') : x));
  const dump = (entries: Iterable<[unknown, unknown]>) => [...entries].map(text).sort().join('\n');
  return Object.fromEntries(
    MAPS.map((name) => [
      name,
      createHash('sha256')
        .update(dump((dp.maps[name] as { entries(): Iterable<[unknown, unknown]> }).entries()))
        .digest('hex')
        .slice(0, 16),
    ]),
  );
}

/* xorshift32: the same sequence on every run. */
function random(seed: number) {
  let x = seed;
  return (n: number) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

const ALGORITHMS = ['maglev', 'round-robin', 'weighted-round-robin', 'source-hash', 'least-connections'] as const;
/* Few addresses, so that endpoints are shared between services (the per-endpoint pairs and their limit). */
const ADDRESSES = ['198.19.1.2', '198.19.2.2', '198.19.3.2', '198.19.4.2', '2001:db8:1::2', '2001:db8:1::3'];
const VIPS = ['198.18.100.1', '198.18.100.2', '2001:db8::100'];

type Spec = {
  address: string;
  port: number;
  protocol: 'tcp' | 'udp';
  algorithm: string;
  backends: { address: string; port: number; weight: number; state: string }[];
};

function parse(spec: Spec): ServiceSpec {
  return dataplaneConfigSchema.parse({ services: [spec] }).services[0]!;
}

/** One random change to `state` (by name); returns the names it touched. */
function change(state: Map<string, Spec>, pick: (n: number) => number): string[] {
  const names = [...state.keys()];
  const kind = names.length === 0 ? 0 : pick(names.length >= 6 ? 6 : 7);
  if (kind === 0 || kind === 6) {
    const vip = VIPS[pick(VIPS.length)]!;
    const v6 = vip.includes(':');
    const spec: Spec = {
      address: vip,
      port: 80 + pick(4),
      protocol: pick(2) ? 'tcp' : 'udp',
      algorithm: ALGORITHMS[pick(ALGORITHMS.length)]!,
      backends: ADDRESSES.filter((a) => a.includes(':') === v6)
        .slice(0, 1 + pick(3))
        .map((address) => ({ address, port: 8080 + pick(2), weight: 1 + pick(3), state: 'ready' })),
    };
    const name = serviceName(spec);
    state.set(name, spec);
    return [name];
  }
  const name = names[pick(names.length)]!;
  const spec = structuredClone(state.get(name)!);
  const backend = spec.backends[pick(Math.max(1, spec.backends.length))];
  if (kind === 1) state.delete(name);
  else if (kind === 2 && backend) backend.weight = 1 + pick(5);
  else if (kind === 3 && backend) backend.state = ['ready', 'drain', 'maint'][pick(3)]!;
  else if (kind === 4) spec.algorithm = ALGORITHMS[pick(ALGORITHMS.length)]!;
  else if (kind === 5) {
    const v6 = spec.address.includes(':');
    const address = ADDRESSES.filter((a) => a.includes(':') === v6)[pick(v6 ? 2 : 4)]!;
    const port = 8080 + pick(3);
    const at = spec.backends.findIndex((b) => b.address === address && b.port === port);
    if (at >= 0) spec.backends.splice(at, 1);
    else spec.backends.push({ address, port, weight: 1, state: 'ready' });
  }
  if (kind !== 1) state.set(name, spec);
  return [name];
}

test('a targeted apply leaves the same maps as a whole one, through 200 seeded changes', () => {
  /* Tight limits, so that some changes go over them. */
  const limits = { ...Reconciler.limitsOf(whole.maps, 1024), maxServices: 5, maxBackends: 12, maxBackendsPerService: 3 };
  const a = new Reconciler(whole.maps, limits);
  const b = new Reconciler(targeted.maps, limits);
  const state = new Map<string, Spec>();
  const down = new Set<string>();
  const isUp = (service: string, endpoint: string) => !down.has(`${service} ${endpoint}`);
  const pick = random(0x5eed);
  a.apply({ services: [] });
  b.apply({ services: [] });
  let refused = 0;
  let applied = 0;
  for (let step = 0; step < 200; step++) {
    const before = new Map(state);
    const touched = change(state, pick);
    /* Now and then a backend's health flips: a change to its service only. */
    if (pick(5) === 0 && state.size > 0) {
      const name = [...state.keys()][pick(state.size)]!;
      const backend = state.get(name)!.backends[0];
      if (backend) {
        const key = `${name} ${formatEndpoint(backend.address, backend.port)}`;
        if (down.has(key)) down.delete(key);
        else down.add(key);
        touched.push(name);
      }
    }
    const desired = [...state.values()].map(parse).sort((x, y) => (serviceName(x) < serviceName(y) ? -1 : 1));
    const changed = new Map(touched.map((name) => [name, state.has(name) ? parse(state.get(name)!) : undefined]));
    let wholeError: unknown;
    let targetedError: unknown;
    try {
      a.apply({ services: desired }, isUp);
    } catch (error) {
      wholeError = error;
    }
    try {
      b.applyServices(changed, isUp);
    } catch (error) {
      targetedError = error;
    }
    assert.equal((targetedError as Error | undefined)?.message, (wholeError as Error | undefined)?.message, `step ${step}: the same refusal, or none`);
    if (wholeError) {
      /* Over a limit (ReconcileError), or out of ids that retired backends' services still hold. */
      assert.ok(wholeError instanceof ReconcileError || /no free/.test((wholeError as Error).message), `step ${step}: ${(wholeError as Error).message}`);
      refused++;
      /* Refused: the state goes back, and both are whole again (as the agent's restore does). */
      state.clear();
      for (const [k, v] of before) state.set(k, v);
      const previous = [...state.values()].map(parse).sort((x, y) => (serviceName(x) < serviceName(y) ? -1 : 1));
      a.apply({ services: previous }, isUp);
      b.apply({ services: previous }, isUp);
    } else applied++;
    /* The end-flows job: both free the same retired backends. */
    if (pick(3) === 0) {
      const ids = a.retiredBackendIds();
      assert.deepEqual(b.retiredBackendIds().sort(), [...ids].sort(), `step ${step}: the same retired backends`);
      a.freeRetired(ids);
      b.freeRetired(ids);
    }
    assert.deepEqual(snapshot(targeted), snapshot(whole), `step ${step}: the same maps`);
  }
  /* The sequence exercised both paths. */
  assert.ok(applied > 120, `${applied} changes applied`);
  assert.ok(refused > 0, `${refused} changes refused over a limit`);
});

test('a targeted change over the per-service limit is refused in apply()s words, and nothing is written', () => {
  const limits = { ...Reconciler.limitsOf(targeted.maps, 1024), maxBackendsPerService: 2 };
  const reconciler = new Reconciler(targeted.maps, limits);
  const spec: Spec = { address: '198.18.100.1', port: 80, protocol: 'tcp', algorithm: 'maglev', backends: [] };
  const backends = (n: number) => ADDRESSES.slice(0, n).map((address) => ({ address, port: 8080, weight: 1, state: 'ready' }));
  reconciler.apply({ services: [parse({ ...spec, backends: backends(2) })] });
  const before = snapshot(targeted);
  const name = serviceName(spec);
  assert.throws(
    () => reconciler.applyServices(new Map([[name, parse({ ...spec, backends: backends(3) })]])),
    (error: unknown) => error instanceof ReconcileError && error.code === 'LIMIT_REACHED' && /at most 2 backends/.test(error.message),
  );
  assert.deepEqual(snapshot(targeted), before);
  assert.equal(reconciler.canApplyServices, false, 'after a refusal, only a whole apply may follow');
  assert.throws(() => reconciler.applyServices(new Map()), /needs a whole apply/);
});
