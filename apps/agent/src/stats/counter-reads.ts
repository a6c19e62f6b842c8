/*
 * The per-id counters of one reading (a stats sample, a scrape, the live
 * feed): backend_active, backend_counters, backend_errors, service_counters.
 * With many ids, each array is read once, from key 0 up to the highest id,
 * in one bpf_map_lookup_batch: 256 services with 4,094 backends cost 4 system
 * calls a second instead of about 12,500, which held an idle agent near a
 * fifth of a core. With few ids, or ids spread far apart (reading up to the
 * highest would fetch mostly unused entries), one lookup per id as before.
 */
import type { BackendErrors, DataplaneMaps, TrafficCounters } from '@sluice/dataplane';

/* Batch only when the ids fill at least a quarter of the range read, and there are enough of them to matter. */
const BATCH_MIN_IDS = 16;
const BATCH_MIN_DENSITY = 0.25;

export interface CounterReads {
  /** Open flows of a backend (backend_active). */
  active(backendId: number): number;
  backend(backendId: number): TrafficCounters | undefined;
  errors(backendId: number): BackendErrors | undefined;
  service(serviceId: number): TrafficCounters | undefined;
}

/**
 * The counters of these ids: each map is read on its first use (a batch of
 * the whole range, or one lookup per id asked), so a caller that needs only
 * open flows reads only backend_active.
 */
export function readCounters(maps: DataplaneMaps, backendIds: readonly number[], serviceIds: readonly number[]): CounterReads {
  const backends = denseLimit(backendIds);
  const services = denseLimit(serviceIds);
  const batch = <V>(limit: number | undefined, read: (count: number) => V[], lookup: (id: number) => V | undefined) => {
    if (limit === undefined) return lookup;
    let values: V[] | undefined;
    return (id: number) => (values ??= read(limit))[id];
  };
  const active = batch(
    backends,
    (n) => maps.backendActive.valuesBelow(n),
    (id) => maps.backendActive.lookup(id),
  );
  return {
    active: (id) => Number(active(id) ?? 0n),
    backend: batch(
      backends,
      (n) => maps.backendCounters.sumsBelow(n),
      (id) => maps.backendCounters.lookupSum(id),
    ),
    errors: batch(
      backends,
      (n) => maps.backendErrors.sumsBelow(n),
      (id) => maps.backendErrors.lookupSum(id),
    ),
    service: batch(
      services,
      (n) => maps.serviceCounters.sumsBelow(n),
      (id) => maps.serviceCounters.lookupSum(id),
    ),
  };
}

/* How many entries from key 0 a batch read takes for these ids, or undefined when per-id lookups are cheaper. */
function denseLimit(ids: readonly number[]): number | undefined {
  if (ids.length < BATCH_MIN_IDS) return undefined;
  let highest = 0;
  for (const id of ids) highest = Math.max(highest, id);
  return ids.length >= (highest + 1) * BATCH_MIN_DENSITY ? highest + 1 : undefined;
}
