/*
 * Per-backend traffic over the last few live samples: new connections in the
 * window (each sample is one second, so the sum of rates is a count) and the
 * resulting share. This is what the distribution chart and the "share"
 * column show.
 */
import type { StatsSample } from '@sluice/api';

/* Ten seconds: long enough to smooth one-second jitter, short enough to show a switch within seconds. */
export const SHARE_WINDOW_SECONDS = 10;

export interface BackendTraffic {
  newConnections: number;
  share: number | null;
}

export function trafficShare(samples: StatsSample[], service: string): Map<string, BackendTraffic> {
  const window = samples.slice(-SHARE_WINDOW_SECONDS);
  const totals = new Map<string, number>();
  for (const sample of window)
    for (const backend of sample.backends)
      if (backend.service === service) totals.set(backend.endpoint, (totals.get(backend.endpoint) ?? 0) + backend.newFlowsPerSec);
  const sum = [...totals.values()].reduce((a, b) => a + b, 0);
  const result = new Map<string, BackendTraffic>();
  for (const [endpoint, value] of totals) result.set(endpoint, { newConnections: Math.round(value), share: sum > 0 ? value / sum : null });
  return result;
}
