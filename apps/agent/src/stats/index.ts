/* Traffic statistics: what the rest of the agent may import. */
export { type StatsIds, type StatsSample, StatsSampler, type StatsSamplerOptions, type StatsScope, type StatsTotals } from './stats-sampler.js';
export { GLOBAL_COUNTER_NAMES, type Placement, readTotals, totalRate, totalsOf, trafficRate } from './traffic.js';
export type { RatePoint } from './rate-ring.js';
export type { TrafficTotals } from './traffic.js';
export { type BackendSignalFacts, type BackendSignalSource, type HandshakeCounts, errorRates } from './backend-errors.js';
export { type CounterReads, readCounters } from './counter-reads.js';
export { LiveFeed, liveSample, namedTotals, polledReadings, samplerReadings } from './live-feed.js';
