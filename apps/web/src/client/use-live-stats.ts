/*
 * The agent's one-second stats feed (stats.live), kept as a short history
 * for charts. One subscription per page; the window is bounded so a console
 * left open all day holds at most the chart's range of samples (an hour),
 * not all of them.
 */
'use client';
import type { StatsSample } from '@sluice/api';
import { useCallback, useState } from 'react';
import { api } from './api-client.ts';
import { useSubscription } from './use-subscription.ts';

/* Two minutes at one sample a second: long enough to see a change, short enough to render quickly. */
export const LIVE_WINDOW_SAMPLES = 120;

/**
 * `keep`: how many samples (seconds) to hold, at least LIVE_WINDOW_SAMPLES.
 * `service`: the service whose backends the samples carry (a service's page);
 * without it they carry none (the overview), as stats.live sends them.
 */
export function useLiveStats(keep = LIVE_WINDOW_SAMPLES, service?: string) {
  const [samples, setSamples] = useState<StatsSample[]>([]);
  const limit = Math.max(LIVE_WINDOW_SAMPLES, keep);
  const onData = useCallback(
    (sample: StatsSample) => {
      setSamples((previous) => [...previous.slice(-(limit - 1)), sample]);
    },
    [limit],
  );
  const state = useSubscription<StatsSample>(
    `stats.live ${service ?? ''}`,
    (handlers) => api.stats.live.subscribe(service === undefined ? undefined : { service }, handlers),
    onData,
  );
  return { samples, latest: samples.at(-1) ?? null, ...state };
}
