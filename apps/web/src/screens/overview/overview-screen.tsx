/*
 * Overview: charts of the whole balancer and each service (the agent's
 * history, then one live sample a second over stats.live, no reload) over a
 * time range kept in the URL, with every event marked; the health of every
 * backend, and the data plane's drop counters by reason. The lists are asked
 * for again when the feed's change count moves (client/refresh-on-changes.ts).
 */
'use client';
import type { ServiceView, StatsSample } from '@sluice/api';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useMemo, useRef } from 'react';
import { api } from '@/client/api-client.ts';
import { bitsPerSecond, packetsPerSecond, perSecond } from '@/client/format.ts';
import { pollEvery, useRefetchOnChanges } from '@/client/refresh-on-changes.ts';
import { servicePath } from '@/client/service-path.ts';
import { useChartEvents } from '@/client/charts/use-chart-events.ts';
import { useTimeRange } from '@/client/charts/use-time-range.ts';
import { type ChartScope, useTrafficHistory } from '@/client/charts/use-traffic-history.ts';
import { TrafficCharts } from '@/components/charts/traffic-charts.tsx';
import { ActiveCount } from '@/components/ui/active-count.tsx';
import { LiveDot } from '@/components/ui/live-dot.tsx';
import { type Column, DataTable } from '@/components/ui/data-table.tsx';
import { PageHeader } from '@/components/ui/page-header.tsx';
import { QueryState } from '@/components/ui/query-state.tsx';
import { EmptyState } from '@/components/ui/states.tsx';
import { DropCounters } from './drop-counters.tsx';
import { HealthSummary } from './health-summary.tsx';

const TOTAL = 'Total';

const rateOrDash = (value: number | undefined, format: (n: number) => string) => (value === undefined ? '—' : format(value));

export function OverviewScreen() {
  const [range, setRange] = useTimeRange();
  /* The feed comes from the charts, which need the list first: its state is read when the next poll is planned. */
  const liveConnected = useRef(false);
  const services = useQuery({
    queryKey: ['services.list'],
    queryFn: () => api.services.list.query(),
    refetchInterval: () => pollEvery(liveConnected.current, 5000),
  });
  const names = (services.data ?? []).map((service) => service.name).sort();
  const namesKey = names.join(' ');
  // biome-ignore lint/correctness/useExhaustiveDependencies: namesKey stands for names (a new array each render)
  const scopes = useMemo<ChartScope[]>(
    () => [
      { name: TOTAL, scope: {}, pointOf: (sample) => sample.total },
      ...names.map((name) => ({ name, scope: { service: name }, pointOf: (sample: StatsSample) => sample.services.find((s) => s.service === name) })),
    ],
    [namesKey],
  );
  const traffic = useTrafficHistory(scopes, range);
  const live = traffic.live;
  liveConnected.current = live.connected;
  const events = useChartEvents(undefined, range, { connected: live.connected, changes: live.latest?.changes });
  useRefetchOnChanges(live.latest?.changes, [['services.list'], ['health.list']]);

  /* Rates from the latest live sample; active connections fall back to the list's count until one arrives. */
  const latestRates = new Map(live.latest?.services.map((s) => [s.service, s]));
  const rateOf = (service: ServiceView) => latestRates.get(service.name);
  const columns: Column<ServiceView>[] = [
    { header: 'Service', rowHeader: true, cell: (service) => <Link href={servicePath(service.name)}>{service.name}</Link> },
    { header: 'Algorithm', cell: (service) => service.algorithm },
    { header: 'Packets/s', className: 'num', cell: (service) => rateOrDash(rateOf(service)?.pps, packetsPerSecond) },
    { header: 'Bits/s', className: 'num', cell: (service) => rateOrDash(rateOf(service)?.bps, bitsPerSecond) },
    { header: 'New conn/s', className: 'num', cell: (service) => rateOrDash(rateOf(service)?.newFlowsPerSec, perSecond) },
    {
      header: 'Active',
      className: 'num',
      cell: (service) => <ActiveCount value={Math.round(rateOf(service)?.activeFlows ?? service.activeFlows)} estimate={service.activeIsEstimate} />,
    },
    {
      header: 'Eligible backends',
      className: 'num',
      cell: (service) => (
        <span className={service.eligibleBackends === 0 && service.backendCount > 0 ? 'text-bad' : undefined}>
          {service.eligibleBackends} of {service.backendCount}
        </span>
      ),
    },
  ];

  return (
    <>
      <PageHeader
        title="Overview"
        subtitle="Traffic through the balancer: the agent's history, updated every second."
        actions={<LiveDot connected={live.connected} />}
      />
      <TrafficCharts
        label="Traffic"
        scopes={scopes}
        traffic={traffic}
        range={range}
        onRange={setRange}
        events={events.events}
        eventsTruncated={events.truncated}
      />

      <section aria-labelledby="per-service-title" className="card">
        <h2 id="per-service-title">Services</h2>
        <QueryState query={services} loadingLabel="Loading services…">
          {(list) => (
            <DataTable
              columns={columns}
              rows={list}
              rowKey={(service) => service.name}
              empty={
                <EmptyState title="No services yet">
                  <p>
                    Create one on the <Link href="/services">Services</Link> page.
                  </p>
                </EmptyState>
              }
            />
          )}
        </QueryState>
      </section>

      <div className="two-columns">
        <HealthSummary live={live.connected} />
        <DropCounters latest={live.latest} live={live.connected} />
      </div>
    </>
  );
}
