/*
 * What the service page shows beside each backend in a bypass mode: the
 * backend host's own check (backendHosts.list, by address) and the backend's
 * traffic since the agent started (stats.totals: packets and connections, and
 * its error signals), so
 * an operator sees both whether the host is ready and whether it receives.
 */
'use client';
import type { BackendErrorTotals, BackendHostReportView } from '@sluice/api';
import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { api } from '@/client/api-client.ts';

export interface BackendTotals {
  packets: number;
  connections: number;
  /** Its error signals since it was added (null fields: not observable in the service's mode). */
  errors: BackendErrorTotals;
}

/** Each reported host by every one of its addresses. */
export function useBackendHostReports(enabled: boolean): Map<string, BackendHostReportView> {
  const reports = useQuery({ queryKey: ['backendHosts.list'], queryFn: () => api.backendHosts.list.query(), refetchInterval: 5000, enabled });
  return useMemo(() => {
    const byAddress = new Map<string, BackendHostReportView>();
    for (const report of reports.data ?? []) for (const address of report.host.addresses) byAddress.set(address, report);
    return byAddress;
  }, [reports.data]);
}

/** The service's backends' counters, by endpoint. */
export function useBackendTotals(service: string): Map<string, BackendTotals> {
  const totals = useQuery({ queryKey: ['stats.totals'], queryFn: () => api.stats.totals.query(), refetchInterval: 2000 });
  return useMemo(() => {
    const byEndpoint = new Map<string, BackendTotals>();
    for (const b of totals.data?.backends ?? [])
      if (b.service === service) byEndpoint.set(b.endpoint, { packets: b.packets, connections: b.newFlows, errors: b.errors });
    return byEndpoint;
  }, [totals.data, service]);
}
