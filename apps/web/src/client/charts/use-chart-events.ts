/*
 * The events of a chart's range (audit.events): a service's (its backends'
 * and the node's too) or every one. Both screens that draw them are fed
 * live: the events are asked for again when the feed's change count moves,
 * and polled every few seconds only while the feed is down
 * (refresh-on-changes.ts), since a marker a few seconds late is still where
 * it happened.
 */
'use client';
import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { api } from '../api-client.ts';
import { pollEvery, useRefetchOnChanges } from '../refresh-on-changes.ts';
import { chartEventOf } from './chart-events.ts';
import type { TimeRange } from './time-range.ts';

const EVENTS_POLL_MS = 3000;

/** `live`: the screen's feed (stats.live), whether it is up and its newest change count. */
export function useChartEvents(service: string | undefined, range: TimeRange, live: { connected: boolean; changes: number | undefined }) {
  const query = useQuery({
    queryKey: ['audit.events', service ?? null, range.seconds],
    queryFn: () => api.audit.events.query({ ...(service ? { service } : {}), since: Date.now() - range.seconds * 1000, limit: 500 }),
    refetchInterval: pollEvery(live.connected, EVENTS_POLL_MS),
  });
  useRefetchOnChanges(live.changes, [['audit.events']]);
  const events = useMemo(() => (query.data?.items ?? []).map(chartEventOf), [query.data]);
  return { events, entries: query.data?.items ?? [], truncated: query.data?.truncated ?? false, error: query.error };
}
