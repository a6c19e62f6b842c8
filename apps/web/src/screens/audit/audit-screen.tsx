/* The audit log: who changed what, when, before and after; newest first, paged by the agent; the filter lives in the URL. */
'use client';
import type { AuditEntry } from '@sluice/api';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import type { FormEvent } from 'react';
import { api } from '@/client/api-client.ts';
import { useCursorPages } from '@/client/use-cursor-pages.ts';
import { useUrlFilter } from '@/client/use-url-filter.ts';
import { clock } from '@/client/format.ts';
import { type Column, DataTable } from '@/components/ui/data-table.tsx';
import { FormSubmit, InputField } from '@/components/ui/form-field.tsx';
import { CsvExportButton } from '@/components/ui/csv-export-button.tsx';
import { PageHeader } from '@/components/ui/page-header.tsx';
import { AUDIT_CSV, allAuditEntries } from './audit-csv.ts';
import { QueryState } from '@/components/ui/query-state.tsx';
import { EmptyState } from '@/components/ui/states.tsx';
import { ChangeSummary } from './change-summary.tsx';

/* ?actor=alice&action=backend.setWeight&target=198.19.1.2 */
const AUDIT_FILTER_PARAMS = ['actor', 'action', 'target'] as const;

const PAGE = 50;

const COLUMNS: Column<AuditEntry>[] = [
  { header: 'When', cell: (entry) => clock(entry.at), cellProps: (entry) => ({ title: new Date(entry.at).toISOString() }) },
  {
    header: 'Who',
    cell: (entry) => (
      <>
        {entry.actor} <span className={`role role-${entry.role}`}>{entry.role}</span>
      </>
    ),
  },
  { header: 'Action', cellClassName: 'mono', cell: (entry) => entry.action },
  { header: 'Target', cellClassName: 'mono', cell: (entry) => entry.target },
  { header: 'Change', cell: (entry) => <ChangeSummary before={entry.before} after={entry.after} /> },
];

export function AuditScreen() {
  const [filter, setFilter] = useUrlFilter(AUDIT_FILTER_PARAMS);
  const pages = useCursorPages(filter);
  const page = pages.page;
  const entries = useQuery({
    queryKey: ['audit.list', filter, pages.cursor],
    queryFn: () => api.audit.list.query({ ...filter, cursor: pages.cursor, limit: PAGE }),
    placeholderData: keepPreviousData,
    /* New changes show up while the first page is open. */
    refetchInterval: page === 0 ? 5000 : false,
  });

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const text = (name: string) => String(form.get(name) ?? '').trim() || undefined;
    setFilter({ actor: text('actor'), action: text('action'), target: text('target') });
    pages.restart();
  };

  return (
    <>
      <PageHeader title="Audit log" subtitle="Every change made through the API, CLI or console." />
      <form key={JSON.stringify(filter)} className="card form-grid form-grid-compact" onSubmit={submit} aria-label="Audit filters">
        <InputField label="Who" name="actor" placeholder="user or token name" defaultValue={filter.actor} />
        <InputField label="Action" name="action" placeholder="backend.setState" defaultValue={filter.action} />
        <InputField label="Target contains" name="target" placeholder="198.18.100.1" defaultValue={filter.target} />
        <FormSubmit label="Apply filters" />
      </form>
      <section className="card" aria-label="Audit entries">
        <QueryState query={entries} loadingLabel="Loading the audit log…">
          {(data) => (
            <>
              <div className="table-toolbar">
                <span>Page {page + 1}</span>
                <CsvExportButton
                  fileName="sluice-audit.csv"
                  columns={AUDIT_CSV}
                  rows={() => allAuditEntries((cursor, limit) => api.audit.list.query({ ...filter, cursor, limit }))}
                />
                <div className="pager">
                  <button type="button" className="button button-small" disabled={page === 0} onClick={pages.previous}>
                    Newer
                  </button>
                  <button
                    type="button"
                    className="button button-small"
                    disabled={!data.nextCursor}
                    onClick={() => data.nextCursor && pages.next(data.nextCursor)}
                  >
                    Older
                  </button>
                </div>
              </div>
              <DataTable
                compact
                testId="audit-table"
                columns={COLUMNS}
                rows={data.items}
                rowKey={(entry) => String(entry.id)}
                empty={<EmptyState title="No audit entries match" />}
              />
            </>
          )}
        </QueryState>
      </section>
    </>
  );
}
