/*
 * The connection table, one page at a time: the agent filters and pages
 * (cursor paging, never the whole table), the browser keeps the cursors of
 * the pages it has seen so "Previous" is instant to ask for. The filter
 * lives in the URL, so a link opens the same view.
 */
'use client';
import type { FlowView } from '@sluice/api';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api } from '@/client/api-client.ts';
import { useCursorPages } from '@/client/use-cursor-pages.ts';
import { useUrlFilter } from '@/client/use-url-filter.ts';
import { bytes, count, duration } from '@/client/format.ts';
import { type Column, DataTable } from '@/components/ui/data-table.tsx';
import { CsvExportButton } from '@/components/ui/csv-export-button.tsx';
import { PageHeader } from '@/components/ui/page-header.tsx';
import { QueryState } from '@/components/ui/query-state.tsx';
import { EmptyState } from '@/components/ui/states.tsx';
import { CONNECTION_FILTER_PARAMS, type ConnectionFilter, ConnectionFilters, connectionFilterOf, paramsOfConnectionFilter } from './connection-filters.tsx';
import { CONNECTIONS_CSV, allConnections } from './connections-csv.ts';
import { FlowTableSummary } from './flow-table-summary.tsx';

const endpoint = (address: string, port: number) => (address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`);

const COLUMNS: Column<FlowView>[] = [
  { header: 'Client', cellClassName: 'mono', cell: (flow) => endpoint(flow.clientAddress, flow.clientPort) },
  { header: 'VIP', cellClassName: 'mono', cell: (flow) => endpoint(flow.vipAddress, flow.vipPort) },
  { header: 'Backend', cellClassName: 'mono', cell: (flow) => endpoint(flow.backendAddress, flow.backendPort) },
  { header: 'Protocol', cell: (flow) => flow.protocol.toUpperCase() },
  { header: 'State', cell: (flow) => <span className={`badge badge-flow-${flow.state}`}>{flow.state}</span> },
  { header: 'Age', className: 'num', cell: (flow) => duration(flow.ageMs) },
  {
    header: 'Packets (in / out)',
    className: 'num',
    cell: (flow) => (
      <>
        {count(flow.packets)} / {count(flow.replyPackets)}
      </>
    ),
  },
  {
    header: 'Bytes (in / out)',
    className: 'num',
    cell: (flow) => (
      <>
        {bytes(flow.bytes)} / {bytes(flow.replyBytes)}
      </>
    ),
  },
];

export function ConnectionsScreen() {
  const [params, setParams] = useUrlFilter(CONNECTION_FILTER_PARAMS);
  const filter = connectionFilterOf(params);
  const pages = useCursorPages(params);
  const page = pages.page;
  const services = useQuery({ queryKey: ['services.list'], queryFn: () => api.services.list.query() });
  const flows = useQuery({
    queryKey: ['connections.list', filter, pages.cursor],
    queryFn: async () => {
      const started = performance.now();
      const result = await api.connections.list.query({ ...filter, cursor: pages.cursor });
      return { ...result, fetchMs: performance.now() - started };
    },
    placeholderData: keepPreviousData,
    refetchInterval: false,
  });

  const apply = (next: ConnectionFilter) => {
    setParams(paramsOfConnectionFilter(next));
    pages.restart();
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
      {/* Keyed by the URL's filter, so the form shows a filter the URL changed (a link, the back button). */}
      <ConnectionFilters key={JSON.stringify(params)} services={services.data ?? []} value={filter} onApply={apply} />
      <section className="card" aria-label="Connection table">
        <QueryState query={flows} loadingLabel="Loading connections…">
          {(data) => (
            <>
              <FlowTableSummary table={data.table} />
              <div className="table-toolbar">
                <span data-testid="page-info">
                  Page {page + 1} · {count(data.items.length)} {data.items.length === 1 ? 'row' : 'rows'}
                </span>
                <span className="muted" data-testid="page-time" data-ms={data.fetchMs.toFixed(1)}>
                  fetched in {data.fetchMs.toFixed(0)} ms
                </span>
                <CsvExportButton
                  fileName="sluice-connections.csv"
                  columns={CONNECTIONS_CSV}
                  rows={() => allConnections((cursor, limit) => api.connections.list.query({ ...filter, cursor, limit }))}
                />
                <div className="pager">
                  <button type="button" className="button button-small" disabled={page === 0 || flows.isFetching} onClick={pages.previous}>
                    Previous page
                  </button>
                  <button
                    type="button"
                    className="button button-small"
                    disabled={!data.nextCursor || flows.isFetching}
                    onClick={() => data.nextCursor && pages.next(data.nextCursor)}
                  >
                    Next page
                  </button>
                </div>
              </div>
              <DataTable
                compact
                testId="connections-table"
                busy={flows.isFetching}
                columns={COLUMNS}
                rows={data.items}
                rowKey={(flow) => `${flow.protocol} ${flow.clientAddress} ${flow.clientPort} ${flow.vipAddress} ${flow.vipPort}`}
                rowProps={(flow) => ({ 'data-client': flow.clientAddress })}
                empty={
                  <EmptyState title={page === 0 ? 'No connections match' : 'No more connections'}>
                    <p>
                      {Object.values({ ...filter, limit: undefined }).some(Boolean)
                        ? 'Loosen the filters, or refresh once traffic flows.'
                        : 'Connections appear here as clients reach a service.'}
                    </p>
                  </EmptyState>
                }
              />
            </>
          )}
        </QueryState>
      </section>
    </>
  );
}
