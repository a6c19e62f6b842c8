/*
 * Each backend's error signals since it was added, by reason: the counts
 * behind the error charts' rates (stats.totals, refreshed every 2 s). A
 * signal the service's mode cannot observe says so ("not observable"), never 0.
 * On a phone each backend is a card of label: value lines.
 */
'use client';
import { BACKEND_DROP_REASONS, type BackendDropReason, type BackendView, type ForwardingMode, repliesBypassBalancer } from '@sluice/api';
import { count } from '@/client/format.ts';
import { type Column, DataTable } from '@/components/ui/data-table.tsx';
import { EmptyState } from '@/components/ui/states.tsx';
import type { BackendTotals } from './use-backend-hosts.ts';

const REASON_LABEL: Record<BackendDropReason, string> = {
  dsr_not_on_link: 'not on-link (DSR)',
  dsr_no_neighbour: 'no neighbour (DSR)',
  tunnel_no_next_hop: 'no next hop (tunnel)',
  too_big: 'too big, ICMP sent',
  too_big_no_df: 'too big, no DF',
  too_big_rate: 'too big, over ICMP rate',
};

const NOT_OBSERVABLE = 'not observable';

function observed(value: number | null | undefined) {
  return value === null ? <span className="muted">{NOT_OBSERVABLE}</span> : count(value ?? 0);
}

function Drops({ drops }: { drops: Record<BackendDropReason, number> | undefined }) {
  const counted = BACKEND_DROP_REASONS.filter((reason) => (drops?.[reason] ?? 0) > 0);
  if (counted.length === 0) return <>0</>;
  return (
    <span>
      {counted.map((reason, i) => (
        <span key={reason} data-reason={reason}>
          {i > 0 ? ', ' : ''}
          {REASON_LABEL[reason]}: {count(drops![reason])}
        </span>
      ))}
    </span>
  );
}

export function BackendErrorsTable({ backends, totals, mode }: { backends: BackendView[]; totals: Map<string, BackendTotals>; mode: ForwardingMode }) {
  const bypass = repliesBypassBalancer(mode);
  const errorsOf = (backend: BackendView) => totals.get(backend.endpoint)?.errors;
  const columns: Column<BackendView>[] = [
    { header: 'Backend', rowHeader: true, cellClassName: 'mono', cell: (backend) => backend.endpoint },
    {
      header: 'Drops by reason',
      cell: (backend) => <Drops drops={errorsOf(backend)?.drops} />,
      cellProps: (backend) => ({
        'data-testid': 'backend-drops',
        'data-value': BACKEND_DROP_REASONS.reduce((sum, reason) => sum + (errorsOf(backend)?.drops[reason] ?? 0), 0),
      }),
    },
    {
      header: 'Resets',
      className: 'num',
      cell: (backend) => observed(errorsOf(backend)?.resets),
      cellProps: (backend) => ({ 'data-testid': 'backend-resets', 'data-value': String(errorsOf(backend)?.resets ?? '') }),
    },
    bypass
      ? {
          header: 'Handshakes never completed',
          className: 'num',
          cell: (backend) => observed(errorsOf(backend)?.incompleteHandshakes),
          cellProps: (backend) => ({ 'data-testid': 'backend-failed-handshakes', 'data-value': String(errorsOf(backend)?.incompleteHandshakes ?? '') }),
        }
      : {
          header: 'SYNs without reply',
          className: 'num',
          cell: (backend) => observed(errorsOf(backend)?.unansweredSyns),
          cellProps: (backend) => ({ 'data-testid': 'backend-failed-handshakes', 'data-value': String(errorsOf(backend)?.unansweredSyns ?? '') }),
        },
    {
      header: 'Last probe latency',
      className: 'num',
      cell: (backend) => {
        const latency = errorsOf(backend)?.healthLatencyMs;
        return latency == null ? '—' : `${latency.toFixed(1)} ms`;
      },
    },
  ];
  return (
    <DataTable
      columns={columns}
      rows={backends}
      rowKey={(b) => b.endpoint}
      rowProps={(b) => ({ 'data-endpoint': b.endpoint })}
      empty={<EmptyState title="No backends" />}
      testId="backend-errors-table"
      compact
      cardsOnPhone
    />
  );
}
