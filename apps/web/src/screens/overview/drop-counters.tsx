/* Packets the data plane dropped, by reason (global counters named drop_*), largest first: from the live feed while it is up. */
'use client';
import type { StatsSample } from '@sluice/api';
import { useQuery } from '@tanstack/react-query';
import { api } from '@/client/api-client.ts';
import { pollEvery } from '@/client/refresh-on-changes.ts';
import { count } from '@/client/format.ts';
import { type Column, DataTable } from '@/components/ui/data-table.tsx';
import { QueryState } from '@/components/ui/query-state.tsx';
import { EmptyState } from '@/components/ui/states.tsx';

/* What each reason means, in the README's words, so the number leads somewhere. */
const REASONS: Record<string, string> = {
  drop_malformed: 'bad IP header, or TCP/UDP header cut short',
  drop_fragment: 'IP fragment sent to a VIP',
  drop_ip_options: 'IPv4 options or IPv6 extension header to a VIP',
  drop_unknown_protocol: 'neither TCP nor UDP to a VIP',
  drop_bad_checksum: 'IPv6 UDP with checksum 0',
  drop_no_service: 'VIP address, but no service on that port/protocol',
  drop_no_backend: 'service with no eligible backend',
  drop_handover: 'TCP mid-connection packet whose flow an upgrade had not copied yet (retransmitted)',
  drop_client_rate: "new connection from a client over its service's client rate limit",
};

type Drop = [name: string, packets: number];

const COLUMNS: Column<Drop>[] = [
  {
    header: 'Reason',
    rowHeader: true,
    cell: ([name]) => (
      <>
        <span className="mono">{name.replace(/^drop_/, '')}</span>
        {REASONS[name] && <span className="muted"> — {REASONS[name]}</span>}
      </>
    ),
  },
  {
    header: 'Packets since start',
    className: 'num',
    cell: ([, packets]) => count(packets),
    /* A drop that happened stands out; a zero fades. */
    cellProps: ([, packets]) => ({ className: packets > 0 ? 'text-warn' : 'muted' }),
  },
];

/** `latest`: the page's newest live sample, whose global counters are newer than the last poll's while the feed is up. */
export function DropCounters({ latest, live }: { latest: StatsSample | null; live: boolean }) {
  const totals = useQuery({ queryKey: ['stats.totals'], queryFn: () => api.stats.totals.query(), refetchInterval: pollEvery(live, 2000) });
  const newest = latest && (!totals.data || latest.t > totals.data.t) ? latest : totals.data;
  const drops: Drop[] = Object.entries(newest?.global ?? {})
    .filter(([name]) => name.startsWith('drop_'))
    .sort((a, b) => b[1] - a[1]);
  return (
    <section className="card" aria-labelledby="drops-title">
      <h2 id="drops-title">Drops by reason</h2>
      <QueryState query={totals} loadingLabel="Loading counters…">
        {() => (
          <DataTable
            compact
            testId="drop-counters"
            columns={COLUMNS}
            rows={drops}
            rowKey={([name]) => name}
            empty={<EmptyState title="The data plane reports no drop counters" />}
          />
        )}
      </QueryState>
    </section>
  );
}
