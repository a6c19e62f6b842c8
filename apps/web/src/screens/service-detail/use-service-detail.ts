/*
 * A service and its backends, kept live: services.get for the service, and
 * the backends.watch feed (every second) written into the same cache entry,
 * so drain progress and health move without polling and mutations' refetches
 * and the feed never disagree for long. The header's counts are recomputed
 * from each feed's rows (backendCounts, as the agent computes them), so the
 * header and the rows always say the same.
 */
'use client';
import { type BackendView, backendCounts } from '@sluice/api';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import { api } from '@/client/api-client.ts';
import { useSubscription } from '@/client/use-subscription.ts';

export const serviceKey = (service: string) => ['services.get', service] as const;

export function useServiceDetail(service: string) {
  const queryClient = useQueryClient();
  const detail = useQuery({ queryKey: serviceKey(service), queryFn: () => api.services.get.query({ service }), refetchInterval: 5000 });
  const onBackends = useCallback(
    (backends: BackendView[]) =>
      queryClient.setQueryData(serviceKey(service), (old: typeof detail.data) => (old ? { ...old, backends, ...backendCounts(backends) } : old)),
    [queryClient, service],
  );
  const watch = useSubscription<BackendView[]>(
    `backends.watch ${service}`,
    (handlers) => api.backends.watch.subscribe({ service, intervalMs: 1000 }, handlers),
    onBackends,
  );
  const refresh = useCallback(() => queryClient.invalidateQueries({ queryKey: serviceKey(service) }), [queryClient, service]);
  return { detail, watchConnected: watch.connected, refresh };
}
