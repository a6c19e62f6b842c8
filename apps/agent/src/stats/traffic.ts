/*
 * The one place traffic numbers are computed: totals read from the per-CPU
 * counter maps, and a rate point from two readings. stats.totals, stats.live,
 * the sampler's series and the Prometheus scrape all go through here, so
 * "total packets/s" means the same everywhere: the sum of the services' rates,
 * their packets forwarded and replied per second (packets the balancer passes
 * to the kernel or drops are counted by reason in `global`, not in a rate).
 */
import type { StatsTotals as ApiStatsTotals, TrafficTotals } from '@sluice/api';
import type { DataplaneMaps } from '@sluice/dataplane';
import type { TrafficCounters } from '@sluice/dataplane';
import { SluiceCounter } from '@sluice/dataplane';
import { type BackendSignalSource, NO_FACTS, errorTotalsOf, readBackendErrors } from './backend-errors.js';
import { readCounters } from './counter-reads.js';
import { perSecond } from './counter-rate.js';
import type { RatePoint } from './rate-ring.js';

/* The contract's per-service/backend figures: the API, the sampler and the metrics endpoint share one shape. */
export type { TrafficTotals };

export const ZERO_TOTALS: Readonly<TrafficTotals> = Object.freeze({
  packets: 0,
  bytes: 0,
  replyPackets: 0,
  replyBytes: 0,
  newFlows: 0,
  drops: 0,
  activeFlows: 0,
});

/** Global counter names, in enum order (CNT_MAX is a bound, not a counter). */
export const GLOBAL_COUNTER_NAMES: readonly { name: string; index: number }[] = Object.entries(SluiceCounter)
  .filter(([name]) => name !== 'CNT_MAX')
  .map(([name, index]) => ({ name: name.replace(/^CNT_/, '').toLowerCase(), index }));

/** Every global counter (enum sluice_counter order), summed over CPUs, in one batch read. */
export function readGlobalCounters(maps: DataplaneMaps): bigint[] {
  return maps.globalCounters.sumsBelow(SluiceCounter.CNT_MAX);
}

/** The counters' totals written into `target` (the sampler keeps two per scope and writes the older: no object a second per backend). */
export function writeTotals(target: TrafficTotals, counters: TrafficCounters, activeFlows: number): TrafficTotals {
  target.packets = Number(counters.packets);
  target.bytes = Number(counters.bytes);
  target.replyPackets = Number(counters.reply_packets);
  target.replyBytes = Number(counters.reply_bytes);
  target.newFlows = Number(counters.new_flows);
  target.drops = Number(counters.drops);
  target.activeFlows = activeFlows;
  return target;
}

export function totalsOf(counters: TrafficCounters | undefined, activeFlows: number): TrafficTotals {
  if (!counters) return { ...ZERO_TOTALS, activeFlows };
  return writeTotals({ ...ZERO_TOTALS }, counters, activeFlows);
}

/** Rates between two readings `seconds` apart; no earlier reading: zero rates. */
export function trafficRate(now: TrafficTotals, before: TrafficTotals | undefined, seconds: number, t: number): RatePoint {
  return {
    t,
    pps: perSecond(before?.packets, now.packets, seconds) + perSecond(before?.replyPackets, now.replyPackets, seconds),
    bps: (perSecond(before?.bytes, now.bytes, seconds) + perSecond(before?.replyBytes, now.replyBytes, seconds)) * 8,
    newFlowsPerSec: perSecond(before?.newFlows, now.newFlows, seconds),
    activeFlows: now.activeFlows,
  };
}

/**
 * The whole balancer's rates: the sum of its services' (each from its own
 * readings, so one service's counter reset or removal does not skew the rest).
 */
export function totalRate(services: Iterable<{ now: TrafficTotals; before: TrafficTotals | undefined }>, seconds: number, t: number): RatePoint {
  const total: RatePoint = { t, pps: 0, bps: 0, newFlowsPerSec: 0, activeFlows: 0 };
  for (const { now, before } of services) {
    const rate = trafficRate(now, before, seconds, t);
    total.pps += rate.pps;
    total.bps += rate.bps;
    total.newFlowsPerSec += rate.newFlowsPerSec;
    total.activeFlows += rate.activeFlows;
  }
  return total;
}

/** The services and backends in the maps by name, with their data-plane ids. */
export type Placement = ReadonlyMap<string, { id: number; backends: ReadonlyMap<string, number> }>;

/** Totals straight from the counter maps, by name: stats.totals, the live feed and the Prometheus scrape. */
export function readTotals(maps: DataplaneMaps, placement: Placement, backendSignals: BackendSignalSource = () => NO_FACTS): ApiStatsTotals {
  const global: Record<string, number> = {};
  /* One batch read: a lookup per counter was 38 syscalls, each time the console's live feed or totals asked. */
  const sums = readGlobalCounters(maps);
  for (const { name, index } of GLOBAL_COUNTER_NAMES) global[name] = Number(sums[index] ?? 0n);
  const placed = [...placement.values()];
  const read = readCounters(
    maps,
    placed.flatMap(({ backends: ids }) => [...ids.values()]),
    placed.map(({ id }) => id),
  );
  const services: ApiStatsTotals['services'] = [];
  const backends: ApiStatsTotals['backends'] = [];
  for (const [service, { id, backends: ids }] of placement) {
    let serviceActive = 0;
    for (const [endpoint, backendId] of ids) {
      const active = read.active(backendId);
      serviceActive += active;
      backends.push({
        service,
        endpoint,
        ...totalsOf(read.backend(backendId), active),
        errors: errorTotalsOf(readBackendErrors(read.errors(backendId), backendSignals(backendId))),
      });
    }
    services.push({ service, ...totalsOf(read.service(id), serviceActive) });
  }
  return { t: Date.now(), global, services, backends };
}
