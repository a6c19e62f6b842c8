/* The Prometheus endpoint: what the rest of the agent may import. */
export { type MetricsServer, type MetricsServerOptions, startMetricsServer } from './metrics-server.js';
export { createMetricsRegistry } from './registry.js';
export type { MetricsSnapshot } from './types.js';
