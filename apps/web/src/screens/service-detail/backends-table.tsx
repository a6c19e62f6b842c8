/*
 * The backends of one service: admin state and health as two columns, last
 * check and latency, weight, active connections (with drain progress toward
 * zero) and share of traffic. Operators get the row actions and selection.
 */
'use client';
import type { AdminState, BackendHostReportView, BackendView, ForwardingMode } from '@sluice/api';
import { ago, count, duration, percent } from '@/client/format.ts';
import { ActiveCount } from '@/components/ui/active-count.tsx';
import { AdminStateBadge, HealthBadge } from '@/components/ui/badges.tsx';
import { type Column, DataTable } from '@/components/ui/data-table.tsx';
import { EmptyState } from '@/components/ui/states.tsx';
import type { DrainProgress } from './drain-progress.ts';
import { HostCheckCell } from './host-check-cell.tsx';
import type { BackendTraffic } from './traffic-share.ts';
import type { BackendTotals } from './use-backend-hosts.ts';
import { WeightEditor } from './weight-editor.tsx';

export interface BackendsTableProps {
  backends: BackendView[];
  traffic: Map<string, BackendTraffic>;
  /** Packets and connections since the agent started, by endpoint. */
  totals: Map<string, BackendTotals>;
  /** dsr/ipip/gue services: each backend host's own check, by address. */
  hostChecks?: { reports: Map<string, BackendHostReportView>; mode: ForwardingMode; vip: string };
  drains: Map<string, DrainProgress>;
  editable: boolean;
  busy: boolean;
  selected: Set<string>;
  onSelect(endpoint: string, on: boolean): void;
  onSelectAll(on: boolean): void;
  onState(endpoint: string, state: AdminState): void;
  onWeight(endpoint: string, weight: number): void;
  onRemove(backend: BackendView): void;
}

const STATE_ACTIONS: { state: AdminState; label: string }[] = [
  { state: 'ready', label: 'Ready' },
  { state: 'drain', label: 'Drain' },
  { state: 'maint', label: 'Maint' },
];

function ActiveCell({ backend, drain }: { backend: BackendView; drain: DrainProgress | undefined }) {
  const active = <ActiveCount value={backend.activeFlows} estimate={backend.activeIsEstimate} />;
  if (!drain) return <span data-testid="active-flows">{active}</span>;
  const done = drain.remaining === 0;
  return (
    <div className="drain">
      <span data-testid="active-flows">{active}</span>
      <progress
        max={1}
        value={drain.fraction}
        aria-label={`Drain progress of ${backend.endpoint}: ${drain.remaining} of ${drain.startCount} connections left`}
      />
      <span className={done ? 'text-good' : 'muted'} data-testid="drain-status">
        {done ? 'drained' : `${drain.remaining} left`}
        {backend.drain?.deadline && !done ? `, cut in ${duration(Math.max(0, backend.drain.deadline - Date.now()))}` : ''}
      </span>
    </div>
  );
}

export function BackendsTable(props: BackendsTableProps) {
  const { backends, editable } = props;
  const allSelected = backends.length > 0 && backends.every((b) => props.selected.has(b.endpoint));
  const columns: Column<BackendView>[] = [
    { header: 'Backend', rowHeader: true, cellClassName: 'mono', cell: (backend) => backend.endpoint },
    { header: 'Admin state', cell: (backend) => <AdminStateBadge state={backend.state} />, cellProps: () => ({ 'data-testid': 'admin-state' }) },
    {
      header: 'Health',
      cell: ({ health }) => (
        <>
          <HealthBadge up={health?.up ?? true} pending={health?.pending ?? false} checked={health !== null} />
          {health?.lastError && !health.up && !health.pending && <div className="muted small">{health.lastError}</div>}
        </>
      ),
      cellProps: () => ({ 'data-testid': 'health' }),
    },
    { header: 'Last check', cell: ({ health }) => (health?.lastCheckAt ? ago(health.lastCheckAt) : '—') },
    { header: 'Latency', className: 'num', cell: ({ health }) => (health?.lastLatencyMs != null ? `${health.lastLatencyMs.toFixed(1)} ms` : '—') },
    {
      header: 'Weight',
      className: 'num',
      cell: (backend) => (
        <WeightEditor
          endpoint={backend.endpoint}
          weight={backend.weight}
          editable={editable}
          busy={props.busy}
          onSave={(w) => props.onWeight(backend.endpoint, w)}
        />
      ),
    },
    { header: 'Active connections', className: 'num', cell: (backend) => <ActiveCell backend={backend} drain={props.drains.get(backend.endpoint)} /> },
    {
      header: 'Share of traffic',
      className: 'num',
      cell: (backend) => {
        const share = props.traffic.get(backend.endpoint)?.share;
        return share != null ? percent(share) : '—';
      },
      cellProps: () => ({ 'data-testid': 'share' }),
    },
    {
      header: 'Packets',
      className: 'num',
      cell: (backend) => count(props.totals.get(backend.endpoint)?.packets ?? 0),
      cellProps: (backend) => ({ 'data-testid': 'backend-packets', 'data-value': props.totals.get(backend.endpoint)?.packets ?? 0 }),
    },
    {
      header: 'Connections',
      className: 'num',
      cell: (backend) => count(props.totals.get(backend.endpoint)?.connections ?? 0),
      cellProps: (backend) => ({ 'data-testid': 'backend-connections', 'data-value': props.totals.get(backend.endpoint)?.connections ?? 0 }),
    },
  ];
  const hostChecks = props.hostChecks;
  if (hostChecks)
    columns.push({
      header: 'Host check',
      cell: (backend) => <HostCheckCell backend={backend} report={hostChecks.reports.get(backend.address)} mode={hostChecks.mode} vip={hostChecks.vip} />,
      cellProps: () => ({ 'data-testid': 'host-check' }),
    });
  if (editable) {
    columns.unshift({
      header: <input type="checkbox" checked={allSelected} onChange={(e) => props.onSelectAll(e.target.checked)} aria-label="Select all backends" />,
      className: 'select',
      cell: (backend) => (
        <input
          type="checkbox"
          checked={props.selected.has(backend.endpoint)}
          onChange={(e) => props.onSelect(backend.endpoint, e.target.checked)}
          aria-label={`Select ${backend.endpoint}`}
        />
      ),
    });
    columns.push({
      header: <span className="sr-only">Actions</span>,
      cellClassName: 'actions',
      cell: (backend) => (
        <>
          {STATE_ACTIONS.filter((a) => a.state !== backend.state).map((action) => (
            <button
              key={action.state}
              type="button"
              className="button button-small"
              disabled={props.busy}
              onClick={() => props.onState(backend.endpoint, action.state)}
            >
              {action.label}
              <span className="sr-only"> {backend.endpoint}</span>
            </button>
          ))}
          <button type="button" className="button button-small button-danger-quiet" disabled={props.busy} onClick={() => props.onRemove(backend)}>
            Remove<span className="sr-only"> {backend.endpoint}</span>
          </button>
        </>
      ),
    });
  }
  return (
    <DataTable
      testId="backends-table"
      cardsOnPhone
      columns={columns}
      rows={backends}
      rowKey={(backend) => backend.endpoint}
      rowProps={(backend) => ({
        'data-endpoint': backend.endpoint,
        'data-state': backend.state,
        'data-eligible': backend.eligible,
        'aria-selected': props.selected.has(backend.endpoint) || undefined,
      })}
      empty={
        <EmptyState title="This service has no backends yet">
          <p>
            {editable
              ? 'Add one below; it takes new connections once it is ready and its health check passes.'
              : 'An operator adds backends; they appear here.'}
          </p>
        </EmptyState>
      }
    />
  );
}
