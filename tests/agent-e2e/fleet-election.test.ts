/*
 * The fleet's health view (apps/agent/src/fleet/fleet-health.ts) on its own:
 * two FleetHealth instances on a real etcd, each over a hand-driven local
 * checker, no agents. The election, the lease-guarded publish, a deposed
 * checker's write refused, and a takeover that starts from the published state.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { after, before, test } from 'node:test';
import type { BackendHealth, HealthTarget } from '@sluice/agent/health';
import { CHECKER_KEY, EtcdFleet, type FleetHealth, healthResultKey, parseStoreAddress } from '@sluice/agent/fleet';
import { etcdctl } from '@sluice/testbed/etcd';
import { type FleetTestbed, startFleetTestbed, stopFleetTestbed, until } from './support/fleet.ts';

const T = { timeout: 60_000 };
const SERVICE = '198.18.100.1:80/tcp';
const ENDPOINT = '198.19.1.2:8080';
const TARGET: HealthTarget = {
  service: SERVICE,
  endpoint: ENDPOINT,
  address: '198.19.1.2',
  port: 8080,
  check: { type: 'tcp', intervalMs: 1000, timeoutMs: 500, rise: 1, fall: 1 },
};

/** A local checker the test drives: the targets it was given, and a flip it reports on demand. */
class HandLocal extends EventEmitter {
  targets: HealthTarget[] = [];
  up = new Map<string, boolean>();
  setTargets(targets: HealthTarget[]) {
    this.targets = targets;
  }
  status(): BackendHealth[] {
    /* As HealthChecker: a target starts as its initialUp says (a takeover's published state). */
    return this.targets.map((t) => this.#health(t.endpoint, t.initialUp));
  }
  stop() {}
  flip(up: boolean) {
    this.up.set(ENDPOINT, up);
    this.emit('change', this.#health(ENDPOINT));
  }
  #health(endpoint: string, initialUp?: boolean): BackendHealth {
    const up = this.up.get(endpoint) ?? initialUp ?? false;
    /* No result yet and no state known: pending, as a new target of HealthChecker is. */
    const pending = !this.up.has(endpoint) && initialUp === undefined;
    return {
      service: SERVICE,
      endpoint,
      checkType: 'tcp',
      up,
      pending,
      lastCheckAt: Date.now(),
      lastLatencyMs: 0.1,
      lastError: up ? null : 'refused',
      consecutiveSuccesses: 0,
      consecutiveFailures: 0,
    };
  }
}

let bed: FleetTestbed | undefined;
const fleets: EtcdFleet[] = [];
/* A fleet node's health view alone: its EtcdFleet only lends it the client (its own run loop is not started). */
const view = (node: string, local: HandLocal): FleetHealth => {
  const address = parseStoreAddress(`etcd+unix://${bed!.etcd.socket}`);
  if (address.kind !== 'etcd') throw new Error('not etcd');
  const fleet = new EtcdFleet({
    address,
    node,
    version: 'test',
    compat: { hashSeed: 0, lookupTableSize: 0, selection: 0 },
    leaseTtlSeconds: 2,
    retryMs: 100,
    log: () => {},
  });
  fleets.push(fleet);
  const v = fleet.shareHealth(local);
  v.setTargets([TARGET]);
  v.start();
  return v;
};
const ctl = async (args: string[]): Promise<string> => {
  const result = await etcdctl(bed!.etcd, args);
  if (result.code !== 0) throw new Error(`etcdctl ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
};

before(async () => {
  bed = await startFleetTestbed();
});
after(async () => {
  for (const fleet of fleets) await fleet.stop();
  await stopFleetTestbed(bed);
});

test('one checker is elected; its flips reach every view; a deposed checker writes nothing; a takeover starts from the published state', T, async () => {
  const localA = new HandLocal();
  const a = view('a', localA);
  await until('a checks', () => a.checking);
  const localB = new HandLocal();
  const b = view('b', localB);
  await until('b sees a as the checker', () => b.checker === 'a');
  assert.equal(b.checking, false);
  assert.equal(localB.targets.length, 0, 'a node that does not check gives its own checker nothing to probe');
  assert.equal(localA.targets.length, 1);

  /* Before any result: as the maps had it (no initialUp: pending, not up). */
  assert.equal(b.isUp(SERVICE, ENDPOINT), false);
  const flips: boolean[] = [];
  b.on('change', (h) => flips.push(h.up));
  localA.flip(true);
  await until('b applies up', () => b.isUp(SERVICE, ENDPOINT));
  localA.flip(false);
  await until('b applies down', () => !b.isUp(SERVICE, ENDPOINT));
  assert.deepEqual(flips, [true, false]);
  /* a applies it from its own watch of the store, which may deliver after b's. */
  await until('the checker applies the published result too', () => !a.isUp(SERVICE, ENDPOINT));
  const rowB = b.status()[0]!;
  assert.equal(rowB.checkedBy, 'a');
  assert.deepEqual(b.statusOf(SERVICE, ENDPOINT), rowB, 'one backend read alone is its row of status()');
  assert.equal(b.statusOf(SERVICE, '198.51.100.9:80'), undefined, 'a backend that is no target has no status');

  /* Depose a: its key goes (as when its lease lapses); b takes over, a resigns. */
  await ctl(['del', CHECKER_KEY]);
  await until('b checks', () => b.checking && a.checker === 'b');
  await until('a resigned', () => !a.checking);
  assert.equal(localA.targets.length, 0, 'the deposed checker stops probing');
  assert.equal(localB.targets[0]!.initialUp, false, "b's checker starts from the published down, so the takeover flips nothing");

  /* A stale flip from the deposed checker is not published. */
  localA.flip(true);
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.equal(b.isUp(SERVICE, ENDPOINT), false);
  const stored = JSON.parse((await ctl(['get', '--print-value-only', healthResultKey(SERVICE, ENDPOINT)])).trim());
  assert.equal(stored.up, false);
  assert.equal(stored.checker, 'a');

  /* The new checker's flip reaches both. */
  localB.up.set(ENDPOINT, true);
  localB.flip(true);
  await until('a applies b’s up', () => a.isUp(SERVICE, ENDPOINT) && b.isUp(SERVICE, ENDPOINT));
  assert.equal(a.status()[0]!.checkedBy, 'b');
});
