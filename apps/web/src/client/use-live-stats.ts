/*
 * The agent's one-second stats feed (stats.live), kept as a short history
 * for charts. One subscription per page; the window is bounded so a console
 * left open all day holds a few minutes of samples, not all of them.
 */
'use client';
import type { StatsSample } from '@sluice/api';
import { useCallback, useState } from 'react';
import { api } from './api-client.ts';
import { useSubscription } from './use-subscription.ts';

/* Two minutes at one sample a second: long enough to see a change, short enough to render quickly. */
export const LIVE_WINDOW_SAMPLES = 120;

export function useLiveStats() {
  const [samples, setSamples] = useState<StatsSample[]>([]);
  const onData = useCallback((sample: StatsSample) => {
    setSamples((previous) => [...previous.slice(-(LIVE_WINDOW_SAMPLES - 1)), sample]);
  }, []);
  const state = useSubscription<StatsSample>('stats.live', (handlers) => api.stats.live.subscribe(undefined, handlers), onData);
  return { samples, latest: samples.at(-1) ?? null, ...state };
}
