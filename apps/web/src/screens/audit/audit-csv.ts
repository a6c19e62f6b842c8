/* The audit log as CSV: every page of the current filter, newest first; before and after as JSON. */
import { MAX_AUDIT_PAGE, type RouterOutputs } from '@sluice/api';
import { type CsvColumn, allPages } from '@/client/csv.ts';

/* 1,000 pages of 500: half a million entries at most in one file. */
export const MAX_EXPORT_PAGES = 1000;

/* As the client receives them (before/after may be absent on the wire). */
type AuditPage = RouterOutputs['audit']['list'];
type AuditEntry = AuditPage['items'][number];

const json = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));

export const AUDIT_CSV: CsvColumn<AuditEntry>[] = [
  { header: 'id', value: (e) => e.id },
  { header: 'at', value: (e) => new Date(e.at).toISOString() },
  { header: 'actor', value: (e) => e.actor },
  { header: 'role', value: (e) => e.role },
  { header: 'action', value: (e) => e.action },
  { header: 'target', value: (e) => e.target },
  { header: 'before', value: (e) => json(e.before) },
  { header: 'after', value: (e) => json(e.after) },
];

export async function allAuditEntries(list: (cursor: string | undefined, limit: number) => Promise<AuditPage>) {
  const { items, pages, complete } = await allPages((cursor) => list(cursor, MAX_AUDIT_PAGE), MAX_EXPORT_PAGES);
  return { rows: items, pages, complete };
}
