/* readCounters on real maps: one batch per array for many dense ids, one lookup per id otherwise, the same values either way. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Dataplane, type TrafficCounters, loadDataplane, numPossibleCpus } from '@sluice/dataplane';
import { SMALL_MAPS, objectPath } from '@sluice/dataplane/test-helpers';
import { readCounters } from '../../src/stats/counter-reads.js';

const BACKENDS = 256;

describe('readCounters', () => {
  let dp: Dataplane;
  const cpus = numPossibleCpus();
  /* Each backend id gets counters that name it, spread over the CPUs. */
  const traffic = (id: number, cpu: number) => ({
    packets: BigInt(id * 10 + cpu),
    bytes: BigInt(id * 1000),
    reply_packets: 1n,
    reply_bytes: 2n,
    new_flows: BigInt(cpu),
    drops: 0n,
  });

  before(() => {
    dp = loadDataplane({
      objectPath: objectPath(),
      maxEntries: { ...SMALL_MAPS, backend_active: BACKENDS, backend_counters: BACKENDS, backend_errors: BACKENDS },
    });
    for (let id = 0; id < BACKENDS; id++) {
      dp.maps.backendActive.update(id, BigInt(id * 3));
      dp.maps.backendCounters.update(
        id,
        Array.from({ length: cpus }, (_, cpu) => traffic(id, cpu)),
      );
      const errors = dp.maps.backendErrors.lookup(id)!;
      dp.maps.backendErrors.update(
        id,
        errors.map((perCpu, cpu) => ({ ...perCpu, resets: BigInt(id + cpu) })),
      );
    }
    for (let id = 0; id < SMALL_MAPS.service_counters; id++)
      dp.maps.serviceCounters.update(
        id,
        Array.from({ length: cpus }, (_, cpu) => traffic(id + 1, cpu)),
      );
  });
  after(() => dp?.close());

  /* Counts the per-id lookups made through the maps while `read` runs. */
  function perIdLookups<T>(read: () => T): { result: T; lookups: number } {
    let lookups = 0;
    const maps = [dp.maps.backendActive, dp.maps.backendCounters, dp.maps.backendErrors, dp.maps.serviceCounters] as { lookup: (k: number) => unknown }[];
    const originals = maps.map((m) => m.lookup);
    maps.forEach((m, i) => (m.lookup = (k: number) => (lookups++, originals[i]!.call(m, k))));
    try {
      return { result: read(), lookups };
    } finally {
      maps.forEach((m, i) => (m.lookup = originals[i]!));
    }
  }

  const view = (reads: ReturnType<typeof readCounters>, backendIds: number[], serviceIds: number[]) => ({
    backends: backendIds.map((id) => [reads.active(id), reads.backend(id), reads.errors(id)?.resets]),
    services: serviceIds.map((id) => reads.service(id)),
  });
  const expected = (backendIds: number[], serviceIds: number[]) => ({
    backends: backendIds.map((id) => [
      Number(dp.maps.backendActive.lookup(id)),
      dp.maps.backendCounters.lookupSum(id),
      dp.maps.backendErrors.lookupSum(id)?.resets,
    ]),
    services: serviceIds.map((id) => dp.maps.serviceCounters.lookupSum(id)),
  });

  it('many dense ids: each map read in one batch, no lookup per id, the same sums as lookups give', () => {
    const backendIds = Array.from({ length: 200 }, (_, i) => i + 7);
    const serviceIds = Array.from({ length: 16 }, (_, i) => i);
    const { result, lookups } = perIdLookups(() => view(readCounters(dp.maps, backendIds, serviceIds), backendIds, serviceIds));
    assert.equal(lookups, 0);
    assert.deepEqual(result, expected(backendIds, serviceIds));
    /* A sum over the CPUs, not one CPU's share. */
    assert.equal((result.backends[0]![1] as TrafficCounters).packets, BigInt(Array.from({ length: cpus }, (_, cpu) => 70 + cpu).reduce((a, b) => a + b, 0)));
  });

  it('few ids, or ids spread far apart: one lookup per id, the same values', () => {
    const few = [3, 9];
    const sparse = Array.from({ length: 20 }, (_, i) => i * 12);
    for (const backendIds of [few, sparse]) {
      const { result, lookups } = perIdLookups(() => view(readCounters(dp.maps, backendIds, [1]), backendIds, [1]));
      assert.equal(lookups, backendIds.length * 3 + 1);
      assert.deepEqual(result, expected(backendIds, [1]));
    }
  });

  it('an id past the map reads as absent, as a lookup would', () => {
    const backendIds = [...Array.from({ length: 100 }, (_, i) => i), BACKENDS + 5];
    const { result: reads, lookups } = perIdLookups(() => readCounters(dp.maps, backendIds, []));
    assert.equal(lookups, 0, 'dense enough for the batch');
    assert.equal(reads.backend(BACKENDS + 5), undefined);
    assert.equal(reads.active(BACKENDS + 5), 0);
  });
});
