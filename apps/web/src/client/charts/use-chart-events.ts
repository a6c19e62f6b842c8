/*
 * The events of a chart's range (audit.events): a service's (its backends'
 * and the node's too) or every one. Polled every `pollMs`: a screen fed
 * live polls slowly and asks again when the feed's change count moves
 * (refresh-on-changes.ts), others every few seconds, since a marker a few
 * seconds late is still where it happened.
 */
'use client';
import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { api } from '../api-client.ts';
import { chartEventOf } from './chart-events.ts';
import type { TimeRange } from './time-range.ts';

export const CHART_EVENTS_POLL_MS = 3000;

export function useChartEvents(service: string | undefined, range: TimeRange, pollMs = CHART_EVENTS_POLL_MS) {
  const query = useQuery({
    queryKey: ['audit.events', service ?? null, range.seconds],
    queryFn: () => api.audit.events.query({ ...(service ? { service } : {}), since: Date.now() - range.seconds * 1000, limit: 500 }),
    refetchInterval: pollMs,
  });
  const events = useMemo(() => (query.data?.items ?? []).map(chartEventOf), [query.data]);
  return { events, entries: query.data?.items ?? [], truncated: query.data?.truncated ?? false, error: query.error };
}
