/* The connection table as CSV: every page of the current filter, fetched from the agent at its largest page size. */
import { type ConnectionPage, type FlowView, MAX_FLOW_PAGE } from '@sluice/api';
import { type CsvColumn, allPages } from '@/client/csv.ts';

/* 1,000 pages of 1,000: a million rows, more than a browser tab should build a file of. */
export const MAX_EXPORT_PAGES = 1000;

export const CONNECTIONS_CSV: CsvColumn<FlowView>[] = [
  { header: 'service', value: (f) => f.service },
  { header: 'backend', value: (f) => f.backend },
  { header: 'client_address', value: (f) => f.clientAddress },
  { header: 'client_port', value: (f) => f.clientPort },
  { header: 'vip_address', value: (f) => f.vipAddress },
  { header: 'vip_port', value: (f) => f.vipPort },
  { header: 'backend_address', value: (f) => f.backendAddress },
  { header: 'backend_port', value: (f) => f.backendPort },
  { header: 'protocol', value: (f) => f.protocol },
  { header: 'state', value: (f) => f.state },
  { header: 'age_ms', value: (f) => f.ageMs },
  { header: 'idle_ms', value: (f) => f.idleMs },
  { header: 'packets_in', value: (f) => f.packets },
  { header: 'packets_out', value: (f) => f.replyPackets },
  { header: 'bytes_in', value: (f) => f.bytes },
  { header: 'bytes_out', value: (f) => f.replyBytes },
];

export async function allConnections(list: (cursor: string | undefined, limit: number) => Promise<ConnectionPage>) {
  const { items, pages, complete } = await allPages((cursor) => list(cursor, MAX_FLOW_PAGE), MAX_EXPORT_PAGES);
  return { rows: items, pages, complete };
}
