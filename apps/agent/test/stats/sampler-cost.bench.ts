/*
 * Cost of one StatsSampler.sampleOnce with many services and backends in use
 * (real maps). Not part of the suite:
 *   node --import tsx apps/agent/test/stats/sampler-cost.bench.ts [backends] [services]
 */
import { loadDataplane } from '@sluice/dataplane';
import { StatsSampler } from '../../src/stats/index.js';
import { objectPath } from '@sluice/dataplane/test-helpers';

const BACKENDS = Number(process.argv[2] ?? 1000);
const SERVICES = Number(process.argv[3] ?? 100);
const dp = loadDataplane({ objectPath: objectPath(), maxEntries: { flows: 1024, lookup_tables: 2 } });
const backends = Array.from({ length: BACKENDS }, (_, i) => i);
const services = Array.from({ length: SERVICES }, (_, i) => i);
const serviceOf = new Map(backends.map((b) => [b, b % SERVICES]));
const sampler = new StatsSampler(dp.maps, { ids: () => ({ services, backends, serviceOf }) });
for (let i = 0; i < 5; i++) sampler.sampleOnce();
const samples: number[] = [];
for (let i = 0; i < 50; i++) {
  const start = performance.now();
  sampler.sampleOnce();
  samples.push(performance.now() - start);
}
samples.sort((a, b) => a - b);
const mem = process.memoryUsage();
console.log(
  `sampleOnce with ${BACKENDS} backends + ${SERVICES} services: median ${samples[25]!.toFixed(2)} ms, max ${samples.at(-1)!.toFixed(2)} ms; rss ${(mem.rss / 1e6).toFixed(0)} MB`,
);
dp.close();
