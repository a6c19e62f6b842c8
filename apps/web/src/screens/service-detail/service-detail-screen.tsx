/*
 * One service: its traffic over a time range (the agent's history, then live
 * samples; per backend, with the service's events marked), its backends'
 * health timeline, its settings and algorithm switch, the per-backend
 * distribution of live traffic, and its backends with every operation.
 */
'use client';
import { type BackendView, type StatsSample, repliesBypassBalancer } from '@sluice/api';
import Link from 'next/link';
import { useMemo, useState } from 'react';
import { api } from '@/client/api-client.ts';
import { errorCode } from '@/client/error-text.ts';
import { useChartEvents } from '@/client/charts/use-chart-events.ts';
import { useTimeRange } from '@/client/charts/use-time-range.ts';
import { type ChartScope, useTrafficHistory } from '@/client/charts/use-traffic-history.ts';
import { useNotice } from '@/client/use-notice.ts';
import { DistributionChart } from '@/components/charts/distribution-chart.tsx';
import { BackendErrorCharts } from '@/components/charts/backend-error-charts.tsx';
import { TrafficCharts } from '@/components/charts/traffic-charts.tsx';
import { useCan } from '@/components/shell/session-context.tsx';
import { MODE_HELP, MODE_LABEL } from '@/components/forwarding/mode-help.ts';
import { ActiveCount, ESTIMATE_HELP } from '@/components/ui/active-count.tsx';
import { LiveDot } from '@/components/ui/live-dot.tsx';
import { CsvExportButton } from '@/components/ui/csv-export-button.tsx';
import { PageHeader } from '@/components/ui/page-header.tsx';
import { EmptyState, ErrorState, LoadingState, Notice } from '@/components/ui/states.tsx';
import { AddBackendForm } from './add-backend-form.tsx';
import { AlgorithmSwitch } from './algorithm-switch.tsx';
import { HealthCheckEditor } from './health-check-editor.tsx';
import { ModeSwitch } from './mode-switch.tsx';
import { BACKENDS_CSV } from './backends-csv.ts';
import { BackendErrorsTable } from './backend-errors-table.tsx';
import { BackendsTable } from './backends-table.tsx';
import { BulkToolbar } from './bulk-toolbar.tsx';
import { ClientRateEditor, clientRateText } from './client-rate-editor.tsx';
import { DRAIN_VS_MAINTENANCE, DrainDialog } from './drain-dialog.tsx';
import { useDrainProgress } from './drain-progress.ts';
import { RemoveBackendsDialog } from './remove-backends-dialog.tsx';
import { SHARE_WINDOW_SECONDS, trafficShare } from './traffic-share.ts';
import { PrepareBackendPanel } from './prepare-backend-panel.tsx';
import { useBackendActions } from './use-backend-actions.ts';
import { useBackendHostReports, useBackendTotals } from './use-backend-hosts.ts';
import { HealthTimeline } from './health-timeline.tsx';
import { useServiceDetail } from './use-service-detail.ts';

/* The service's own line on its charts, beside one per backend. */
const SERVICE_SERIES = 'All backends';

export function ServiceDetailScreen({ service }: { service: string }) {
  const isAdmin = useCan('admin');
  const isOperator = useCan('operator');
  const notice = useNotice({ fleetChanges: true });
  const { detail, watchConnected, refresh } = useServiceDetail(service);
  const [range, setRange] = useTimeRange();
  const actions = useBackendActions(service, notice, refresh);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [removing, setRemoving] = useState<BackendView[]>([]);
  const [removeError, setRemoveError] = useState<unknown>(null);
  /* Backends whose drain waits for its timeout to be chosen (row or bulk). */
  const [draining, setDraining] = useState<string[]>([]);

  const backends = useMemo(() => detail.data?.backends ?? [], [detail.data]);
  const endpointsKey = backends.map((b) => b.endpoint).join(' ');
  const scopes = useMemo<ChartScope[]>(
    () => [
      { name: SERVICE_SERIES, scope: { service }, pointOf: (sample) => sample.services.find((s) => s.service === service) },
      ...endpointsKey
        .split(' ')
        .filter(Boolean)
        .map((endpoint) => ({
          name: endpoint,
          scope: { service, backend: endpoint },
          pointOf: (sample: StatsSample) => sample.backends.find((b) => b.service === service && b.endpoint === endpoint),
        })),
    ],
    [service, endpointsKey],
  );
  const history = useTrafficHistory(scopes, range, service);
  const live = history.live;
  const events = useChartEvents(service, range, { connected: live.connected, changes: live.latest?.changes });
  const traffic = useMemo(() => trafficShare(live.samples, service), [live.samples, service]);
  const drains = useDrainProgress(backends);
  const bypass = detail.data ? repliesBypassBalancer(detail.data.mode) : false;
  const hostReports = useBackendHostReports(bypass);
  const totals = useBackendTotals(service);
  const busy = actions.setState.isPending || actions.setWeight.isPending || actions.bulk.isPending || actions.remove.isPending;
  /* Selection only of backends that still exist. */
  const selectedNow = new Set([...selected].filter((e) => backends.some((b) => b.endpoint === e)));

  if (detail.isPending) return <LoadingState label={`Loading ${service}…`} />;
  if (detail.isError)
    return (
      <>
        <PageHeader title={service} />
        {errorCode(detail.error) === 'NOT_FOUND' ? (
          <EmptyState title={`There is no service ${service}`}>
            <p>
              It may have been deleted. Back to <Link href="/services">all services</Link>.
            </p>
          </EmptyState>
        ) : (
          <ErrorState error={detail.error} retry={() => detail.refetch()} />
        )}
      </>
    );
  const info = detail.data;

  const confirmRemove = (force: boolean) => {
    setRemoveError(null);
    const done = {
      onSuccess: () => {
        setRemoving([]);
        setSelected(new Set());
      },
      onError: (error: unknown) => setRemoveError(error),
    };
    if (removing.length === 1) actions.remove.mutate({ endpoint: removing[0]!.endpoint, force }, done);
    else actions.bulk.mutate({ endpoints: removing.map((b) => b.endpoint), change: { action: 'remove', force } }, done);
  };

  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link href="/services">Services</Link> / <span aria-current="page">{info.name}</span>
      </nav>
      <PageHeader
        title={<span className="mono">{info.name}</span>}
        subtitle={
          <>
            <span data-testid="current-mode">{MODE_LABEL[info.mode]}</span> · health check{' '}
            {info.healthCheck.type === 'none'
              ? 'none'
              : `${info.healthCheck.type} every ${info.healthCheck.intervalMs / 1000} s (rise ${info.healthCheck.rise}, fall ${info.healthCheck.fall})`}{' '}
            · {info.eligibleBackends} of {info.backendCount} backends eligible · <ActiveCount value={info.activeFlows} estimate={info.activeIsEstimate} />{' '}
            active connections
          </>
        }
        actions={<LiveDot connected={live.connected && watchConnected} />}
      />
      <Notice notice={notice.notice} onDismiss={notice.clear} />

      <TrafficCharts
        label={`Traffic of ${info.name}`}
        scopes={scopes}
        traffic={history}
        range={range}
        onRange={setRange}
        events={events.events}
        eventsTruncated={events.truncated}
      />
      <BackendErrorCharts
        mode={info.mode}
        backends={backends.map((b) => b.endpoint)}
        traffic={history}
        stepSeconds={range.stepSeconds}
        rangeLabel={range.label}
        events={events.events}
      />
      <section className="card" aria-labelledby="backend-error-counts-title">
        <h2 id="backend-error-counts-title">Error signals by backend, since it was added</h2>
        <BackendErrorsTable backends={backends} totals={totals} mode={info.mode} />
      </section>
      <HealthTimeline service={service} backends={backends} entries={events.entries} range={range} now={history.domain[1] || Date.now()} />

      <section className="card" aria-labelledby="algorithm-title">
        <h2 id="algorithm-title">
          Algorithm: <span data-testid="current-algorithm">{info.algorithm}</span>
        </h2>
        {isAdmin ? (
          <AlgorithmSwitch service={service} current={info.algorithm} onChanged={refresh} notify={notice} />
        ) : (
          <p className="muted">Only admins change the algorithm.</p>
        )}
        <h3 className="chart-title">
          Forwarding mode: <span data-testid="current-mode-title">{MODE_LABEL[info.mode]}</span>
        </h3>
        {isAdmin ? (
          <ModeSwitch service={service} current={info.mode} onChanged={refresh} notify={notice} />
        ) : (
          <p className="muted">{MODE_HELP[info.mode]} Only admins change the mode.</p>
        )}
        {info.activeIsEstimate && <p className="muted">{ESTIMATE_HELP}</p>}
        <h3 className="chart-title">
          Client rate limit: <span data-testid="current-client-rate">{clientRateText(info.clientRate)}</span>
        </h3>
        {isAdmin ? (
          <ClientRateEditor service={service} current={info.clientRate} onChanged={refresh} notify={notice} />
        ) : (
          <p className="muted">Only admins change the client rate limit.</p>
        )}
        <h3 className="chart-title">Health check</h3>
        {isAdmin ? (
          <HealthCheckEditor service={service} current={info.healthCheck} onChanged={refresh} notify={notice} />
        ) : (
          <p className="muted">Only admins change the health check.</p>
        )}
        <h3 className="chart-title">Distribution over backends</h3>
        {backends.length === 0 ? (
          <EmptyState title="No backends, so nothing to distribute" />
        ) : (
          <DistributionChart
            windowSeconds={SHARE_WINDOW_SECONDS}
            rows={backends.map((b) => ({
              endpoint: b.endpoint,
              newConnections: traffic.get(b.endpoint)?.newConnections ?? 0,
              activeConnections: b.activeFlows,
            }))}
          />
        )}
      </section>

      <section className="card" aria-labelledby="backends-title">
        <h2 id="backends-title">Backends</h2>
        <p className="muted" data-testid="drain-vs-maintenance">
          {DRAIN_VS_MAINTENANCE}
        </p>
        <div className="table-toolbar">
          <CsvExportButton
            fileName={`sluice-backends-${service.replace(/[^\w.-]+/g, '_')}.csv`}
            columns={BACKENDS_CSV}
            rows={async () => ({ rows: (await api.services.get.query({ service })).backends })}
          />
        </div>
        {isOperator && (
          <BulkToolbar
            selected={selectedNow.size}
            busy={busy}
            onClear={() => setSelected(new Set())}
            onState={(state) =>
              state === 'drain'
                ? setDraining([...selectedNow])
                : actions.bulk.mutate({ endpoints: [...selectedNow], change: { action: 'setState', state } }, { onError: notice.fail })
            }
            onWeight={(weight) => actions.bulk.mutate({ endpoints: [...selectedNow], change: { action: 'setWeight', weight } }, { onError: notice.fail })}
            onRemove={() => {
              setRemoveError(null);
              setRemoving(backends.filter((b) => selectedNow.has(b.endpoint)));
            }}
          />
        )}
        <BackendsTable
          backends={backends}
          traffic={traffic}
          totals={totals}
          hostChecks={bypass ? { reports: hostReports, mode: info.mode, vip: info.address } : undefined}
          drains={drains}
          editable={isOperator}
          busy={busy}
          selected={selectedNow}
          onSelect={(endpoint, on) =>
            setSelected((s) => {
              const next = new Set(s);
              if (on) next.add(endpoint);
              else next.delete(endpoint);
              return next;
            })
          }
          onSelectAll={(on) => setSelected(on ? new Set(backends.map((b) => b.endpoint)) : new Set())}
          onState={(endpoint, state) => (state === 'drain' ? setDraining([endpoint]) : actions.setState.mutate({ endpoint, state }))}
          onWeight={(endpoint, weight) => actions.setWeight.mutate({ endpoint, weight })}
          onRemove={(backend) => {
            setRemoveError(null);
            setRemoving([backend]);
          }}
        />
        {isOperator && <AddBackendForm serviceAddress={info.address} busy={actions.add.isPending} onAdd={(backend) => actions.add.mutate(backend)} />}
      </section>

      {info.mode !== 'nat' && <PrepareBackendPanel mode={info.mode} vip={info.address} />}

      <DrainDialog
        endpoints={draining}
        busy={actions.setState.isPending || actions.bulk.isPending}
        onCancel={() => setDraining([])}
        onConfirm={(drainTimeoutMs) => {
          const done = { onSettled: () => setDraining([]) };
          if (draining.length === 1) actions.setState.mutate({ endpoint: draining[0]!, state: 'drain', drainTimeoutMs }, done);
          else actions.bulk.mutate({ endpoints: draining, change: { action: 'setState', state: 'drain', drainTimeoutMs } }, { ...done, onError: notice.fail });
        }}
      />

      <RemoveBackendsDialog
        backends={removing}
        busy={actions.remove.isPending || actions.bulk.isPending}
        error={removeError}
        onCancel={() => setRemoving([])}
        onConfirm={confirmRemove}
      />
    </>
  );
}
