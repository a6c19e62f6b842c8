/* The Prometheus endpoint and the event loop watch it reports: what the rest of the agent may import. */
export { type MetricsServer, type MetricsServerOptions, startMetricsServer } from './metrics-server.js';
export { createMetricsRegistry } from './registry.js';
export type { MetricsSnapshot } from './types.js';
export { type EventLoopDelay, EventLoopWatch } from './event-loop-watch.js';
