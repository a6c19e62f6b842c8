/* What the metrics tests share: a snapshot with nothing in it, and the exposed lines of one family of series. */
import type { MetricsSnapshot } from '../../src/metrics/index.js';
import { createMetricsRegistry } from '../../src/metrics/registry.js';

export const EMPTY_SNAPSHOT: MetricsSnapshot = {
  version: '0.1.0',
  global: {},
  flowsTracked: 0,
  flowTableCapacity: 1024,
  services: [],
  backends: [],
};

/** The exposition lines whose name starts with `prefix`, sorted. */
export async function seriesStartingWith(snapshot: MetricsSnapshot, prefix: string): Promise<string[]> {
  return (await createMetricsRegistry(() => snapshot).metrics())
    .split('\n')
    .filter((line) => line.startsWith(prefix))
    .sort();
}
