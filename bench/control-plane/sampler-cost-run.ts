/*
 * Not part of `pnpm bench`: `node --import tsx bench/control-plane/sampler-cost-run.ts [--samples N]`,
 * the stats sampler alone at the at-scale bench's size (256 services, 4,080
 * backends), every counter moving (traffic on every backend, as the at-scale
 * bench has none), on stand-in maps that hand out fresh arrays per read as
 * the real batch reads do. Between samples it makes a second's worth of
 * short-lived garbage, so young-generation collections come as often as in
 * a busy agent and the sampler's objects that live a second are copied as
 * they would be there. Prints the time of one sample (the agent's thread is
 * busy that long every second) and the collections over the run, as JSON.
 * Run it in two checkouts to compare them.
 */
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { type BackendSignalFacts, StatsSampler } from '@sluice/agent/stats';
import type { DataplaneMaps } from '@sluice/dataplane';

const { values } = parseArgs({ options: { samples: { type: 'string', default: '300' } } });
const SAMPLES = Number(values.samples);
const WARM_UP = 30;
const BACKENDS_PER_SERVICE = 16;
const SERVICES = 256;
const BACKENDS = SERVICES * BACKENDS_PER_SERVICE - 16;
const DROP_REASONS = 8;
const GLOBAL_COUNTERS = 40;

const backendIds = Array.from({ length: BACKENDS }, (_, i) => i + 1);
const serviceIds = Array.from({ length: SERVICES }, (_, i) => i + 1);
const serviceOf = new Map(backendIds.map((id) => [id, Math.ceil(id / BACKENDS_PER_SERVICE)]));
let tick = 0n;
const counters = (n: number) =>
  Array.from({ length: n }, () => ({ packets: tick * 10n, bytes: tick * 1000n, reply_packets: tick, reply_bytes: tick * 100n, new_flows: tick, drops: 0n }));
const maps = {
  backendActive: { valuesBelow: (n: number) => Array.from({ length: n }, () => 3n), lookup: () => 3n },
  backendCounters: { sumsBelow: counters, lookupSum: () => counters(1)[0] },
  serviceCounters: { sumsBelow: counters, lookupSum: () => counters(1)[0] },
  backendErrors: {
    sumsBelow: (n: number) => Array.from({ length: n }, () => ({ drops: Array(DROP_REASONS).fill(0n), resets: 0n })),
    lookupSum: () => undefined,
  },
  globalCounters: { entries: () => Array.from({ length: GLOBAL_COUNTERS }, (_, i) => [i, [tick, tick]]) },
  backends: { lookup: () => undefined },
} as unknown as DataplaneMaps;
let clock = 0;
const facts: BackendSignalFacts = { handshakes: { unanswered: 0, incomplete: 0 }, healthLatencyMs: 1.5, repliesSeen: true };
const sampler = new StatsSampler(maps, {
  ids: () => ({ services: serviceIds, backends: backendIds, serviceOf }),
  monotonicMs: () => clock,
  wallMs: () => 1_700_000_000_000 + clock,
  backendSignals: () => facts,
});
const next = () => {
  tick++;
  clock += 1000;
};
for (let i = 0; i < WARM_UP; i++) {
  next();
  sampler.sampleOnce();
}

const gcs: { kind: number; ms: number }[] = [];
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcs.push({ kind: (entry as unknown as { detail: { kind: number } }).detail.kind, ms: entry.duration });
});
observer.observe({ entryTypes: ['gc'] });
const times: number[] = [];
let sink = 0;
for (let i = 0; i < SAMPLES; i++) {
  next();
  const started = performance.now();
  sampler.sampleOnce();
  times.push(performance.now() - started);
  for (let j = 0; j < 2000; j++) sink += new Array(64).fill(j).length;
}
await new Promise((resolve) => setTimeout(resolve, 100));
observer.disconnect();

const quantile = (sorted: number[], q: number) => Math.round((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0) * 100) / 100;
const minor = gcs.filter((gc) => gc.kind === constants.NODE_PERFORMANCE_GC_MINOR).map((gc) => gc.ms);
times.sort((a, b) => a - b);
minor.sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({
    backends: BACKENDS,
    services: SERVICES,
    samples: SAMPLES,
    sampleMsP50: quantile(times, 0.5),
    sampleMsP90: quantile(times, 0.9),
    scavenges: minor.length,
    scavengeMsTotal: Math.round(minor.reduce((sum, ms) => sum + ms, 0)),
    scavengeMsP50: quantile(minor, 0.5),
    otherCollections: gcs.length - minor.length,
    garbageMade: sink,
  })}\n`,
);
