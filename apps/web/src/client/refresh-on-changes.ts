/*
 * Lists a live screen shows, asked for again when the agent says they may
 * have changed (stats.live's `changes`) rather than polled every few
 * seconds: a change reaches the screen within the feed's second, and an idle
 * console costs the agent one sample a second instead of a request for every
 * list (bench control-plane/agent-idle/with-console-open). While the feed is
 * down the lists are polled as before; while it is up, still slowly, so a
 * change the count misses is seen within that bound.
 */
'use client';
import { type QueryKey, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';

export const POLL_WHILE_LIVE_MS = 30_000;

/** How often to poll a list: `ms` while the live feed is down, POLL_WHILE_LIVE_MS while it is up. */
export function pollEvery(live: boolean, ms: number): number {
  return live ? POLL_WHILE_LIVE_MS : ms;
}

/** Refetches the queries under `queryKeys` whenever `changes` moves (not on its first value: the lists were just loaded). */
export function useRefetchOnChanges(changes: number | undefined, queryKeys: readonly QueryKey[]): void {
  const client = useQueryClient();
  const seen = useRef<number | undefined>(undefined);
  const keys = useRef(queryKeys);
  keys.current = queryKeys;
  useEffect(() => {
    if (changes === undefined) return;
    const previous = seen.current;
    seen.current = changes;
    if (previous === undefined || previous === changes) return;
    for (const queryKey of keys.current) void client.invalidateQueries({ queryKey });
  }, [changes, client]);
}
