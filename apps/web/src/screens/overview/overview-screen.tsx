/*
 * Overview: live charts of the whole balancer and each service (one sample a
 * second over stats.live, no reload), the health of every backend, and the
 * data plane's drop counters by reason.
 */
'use client';
import type { ServiceView } from '@sluice/api';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useMemo } from 'react';
import { api } from '@/client/api-client.ts';
import { bitsPerSecond, count, packetsPerSecond, perSecond } from '@/client/format.ts';
import { servicePath } from '@/client/service-path.ts';
import { useLiveStats } from '@/client/use-live-stats.ts';
import { RateChart } from '@/components/charts/rate-chart.tsx';
import { ActiveCount } from '@/components/ui/active-count.tsx';
import { LiveDot } from '@/components/ui/live-dot.tsx';
import { type Column, DataTable } from '@/components/ui/data-table.tsx';
import { PageHeader } from '@/components/ui/page-header.tsx';
import { QueryState } from '@/components/ui/query-state.tsx';
import { EmptyState, ErrorState, LoadingState } from '@/components/ui/states.tsx';
import { DropCounters } from './drop-counters.tsx';
import { HealthSummary } from './health-summary.tsx';

const TOTAL = 'Total';
const METRICS = [
  { key: 'pps', title: 'Packets per second', format: packetsPerSecond },
  { key: 'bps', title: 'Bits per second', format: bitsPerSecond },
  { key: 'newFlowsPerSec', title: 'New connections per second', format: perSecond },
  { key: 'activeFlows', title: 'Active connections', format: (n: number) => count(Math.round(n)) },
] as const;

const rateOrDash = (value: number | undefined, format: (n: number) => string) => (value === undefined ? '—' : format(value));

export function OverviewScreen() {
  const live = useLiveStats();
  const services = useQuery({ queryKey: ['services.list'], queryFn: () => api.services.list.query(), refetchInterval: 5000 });

  const serviceNames = useMemo(() => {
    const names = new Set<string>();
    for (const sample of live.samples) for (const s of sample.services) names.add(s.service);
    return [...names].sort();
  }, [live.samples]);

  const rowsByMetric = useMemo(
    () =>
      Object.fromEntries(
        METRICS.map(({ key }) => [
          key,
          live.samples.map((sample) => {
            const row: Record<string, number> = { t: sample.t, [TOTAL]: sample.total[key] };
            for (const s of sample.services) row[s.service] = s[key];
            return row;
          }),
        ]),
      ),
    [live.samples],
  );

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
      <PageHeader title="Overview" subtitle="Traffic through the balancer, updated every second." actions={<LiveDot connected={live.connected} />} />
      {live.error ? <ErrorState error={live.error} /> : null}
      <section aria-label="Live traffic" className="chart-grid" data-testid="live-samples" data-samples={live.samples.length}>
        {METRICS.map(({ key, title, format }) => (
          <RateChart
            key={key}
            title={title}
            rows={rowsByMetric[key] ?? []}
            series={[TOTAL, ...serviceNames]}
            format={format}
            current={live.latest ? format(live.latest.total[key]) : '—'}
          />
        ))}
      </section>
      {live.samples.length === 0 && !live.error && <LoadingState label="Waiting for the first live sample (one a second)…" />}

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
        <HealthSummary />
        <DropCounters />
      </div>
    </>
  );
}
