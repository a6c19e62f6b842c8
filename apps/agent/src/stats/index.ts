/* Traffic statistics: what the rest of the agent may import. */
export { GLOBAL_COUNTER_NAMES, type StatsIds, type StatsSample, StatsSampler, type StatsSamplerOptions, type StatsScope, type StatsTotals } from './stats-sampler.js';
export type { RatePoint } from './rate-ring.js';
export type { TrafficTotals } from './counter-delta.js';
