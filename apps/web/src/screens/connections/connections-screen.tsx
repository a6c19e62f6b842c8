/*
 * The connection table, one page at a time: the agent filters and pages
 * (cursor paging, never the whole table), the browser keeps the cursors of
 * the pages it has seen so "Previous" is instant to ask for.
 */
'use client';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '@/client/api-client.ts';
import { bytes, count, duration } from '@/client/format.ts';
import { PageHeader } from '@/components/ui/page-header.tsx';
import { EmptyState, ErrorState, LoadingState } from '@/components/ui/states.tsx';
import { type ConnectionFilter, ConnectionFilters } from './connection-filters.tsx';

const endpoint = (address: string, port: number) => (address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`);

export function ConnectionsScreen() {
  const [filter, setFilter] = useState<ConnectionFilter>({ limit: 100 });
  /* cursors[i] is the cursor that fetches page i (page 0 has none). */
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const page = cursors.length - 1;
  const services = useQuery({ queryKey: ['services.list'], queryFn: () => api.services.list.query() });
  const flows = useQuery({
    queryKey: ['connections.list', filter, cursors[page]],
    queryFn: async () => {
      const started = performance.now();
      const result = await api.connections.list.query({ ...filter, cursor: cursors[page] });
      return { ...result, fetchMs: performance.now() - started };
    },
    placeholderData: keepPreviousData,
    refetchInterval: false,
  });

  const apply = (next: ConnectionFilter) => {
    setFilter(next);
    setCursors([undefined]);
  };

  return (
    <>
      <PageHeader
        title="Connections"
        subtitle="The balancer's flow table, filtered and paged by the agent."
        actions={
          <button type="button" className="button" onClick={() => flows.refetch()} disabled={flows.isFetching}>
            {flows.isFetching ? 'Refreshing…' : 'Refresh'}
          </button>
        }
      />
      <ConnectionFilters services={services.data ?? []} value={filter} onApply={apply} />
      <section className="card" aria-label="Connection table">
        {flows.isPending ? (
          <LoadingState label="Loading connections…" />
        ) : flows.isError ? (
          <ErrorState error={flows.error} retry={() => flows.refetch()} />
        ) : (
          <>
            <div className="table-toolbar">
              <span data-testid="page-info">
                Page {page + 1} · {count(flows.data.items.length)} rows
              </span>
              <span className="muted" data-testid="page-time" data-ms={flows.data.fetchMs.toFixed(1)}>
                fetched in {flows.data.fetchMs.toFixed(0)} ms
              </span>
              <div className="pager">
                <button type="button" className="button button-small" disabled={page === 0 || flows.isFetching} onClick={() => setCursors((c) => c.slice(0, -1))}>
                  Previous page
                </button>
                <button
                  type="button"
                  className="button button-small"
                  disabled={!flows.data.nextCursor || flows.isFetching}
                  onClick={() => setCursors((c) => [...c, flows.data.nextCursor ?? undefined])}
                >
                  Next page
                </button>
              </div>
            </div>
            {flows.data.items.length === 0 ? (
              <EmptyState title={page === 0 ? 'No connections match' : 'No more connections'}>
                <p>{Object.values({ ...filter, limit: undefined }).some(Boolean) ? 'Loosen the filters, or refresh once traffic flows.' : 'Connections appear here as clients reach a service.'}</p>
              </EmptyState>
            ) : (
              <div className="table-wrap">
                <table className="table table-compact" data-testid="connections-table" aria-busy={flows.isFetching}>
                  <thead>
                    <tr>
                      <th scope="col">Client</th>
                      <th scope="col">VIP</th>
                      <th scope="col">Backend</th>
                      <th scope="col">Protocol</th>
                      <th scope="col">State</th>
                      <th scope="col" className="num">Age</th>
                      <th scope="col" className="num">Packets (in / out)</th>
                      <th scope="col" className="num">Bytes (in / out)</th>
                    </tr>
                  </thead>
                  <tbody>
                    {flows.data.items.map((flow) => (
                      <tr key={`${flow.protocol} ${flow.clientAddress} ${flow.clientPort} ${flow.vipAddress} ${flow.vipPort}`} data-client={flow.clientAddress}>
                        <td className="mono">{endpoint(flow.clientAddress, flow.clientPort)}</td>
                        <td className="mono">{endpoint(flow.vipAddress, flow.vipPort)}</td>
                        <td className="mono">{endpoint(flow.backendAddress, flow.backendPort)}</td>
                        <td>{flow.protocol.toUpperCase()}</td>
                        <td>
                          <span className={`badge badge-flow-${flow.state}`}>{flow.state}</span>
                        </td>
                        <td className="num">{duration(flow.ageMs)}</td>
                        <td className="num">
                          {count(flow.packets)} / {count(flow.replyPackets)}
                        </td>
                        <td className="num">
                          {bytes(flow.bytes)} / {bytes(flow.replyBytes)}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </>
        )}
      </section>
    </>
  );
}
