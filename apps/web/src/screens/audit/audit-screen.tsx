/* The audit log: who changed what, when, before and after; newest first, paged by the agent. */
'use client';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '@/client/api-client.ts';
import { clock } from '@/client/format.ts';
import { PageHeader } from '@/components/ui/page-header.tsx';
import { EmptyState, ErrorState, LoadingState } from '@/components/ui/states.tsx';
import { ChangeSummary } from './change-summary.tsx';

interface AuditFilter {
  actor?: string;
  action?: string;
  target?: string;
}

const PAGE = 50;

export function AuditScreen() {
  const [filter, setFilter] = useState<AuditFilter>({});
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const page = cursors.length - 1;
  const entries = useQuery({
    queryKey: ['audit.list', filter, cursors[page]],
    queryFn: () => api.audit.list.query({ ...filter, cursor: cursors[page], limit: PAGE }),
    placeholderData: keepPreviousData,
    /* New changes show up while the first page is open. */
    refetchInterval: page === 0 ? 5000 : false,
  });

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const text = (name: string) => String(form.get(name) ?? '').trim() || undefined;
    setFilter({ actor: text('actor'), action: text('action'), target: text('target') });
    setCursors([undefined]);
  };

  return (
    <>
      <PageHeader title="Audit log" subtitle="Every change made through the API, CLI or console." />
      <form className="card form-grid form-grid-compact" onSubmit={submit} aria-label="Audit filters">
        <label className="field">
          <span>Who</span>
          <input name="actor" placeholder="user or token name" />
        </label>
        <label className="field">
          <span>Action</span>
          <input name="action" placeholder="backend.setState" />
        </label>
        <label className="field">
          <span>Target contains</span>
          <input name="target" placeholder="198.18.100.1" />
        </label>
        <div className="form-actions">
          <button type="submit" className="button button-primary">
            Apply filters
          </button>
        </div>
      </form>
      <section className="card" aria-label="Audit entries">
        {entries.isPending ? (
          <LoadingState label="Loading the audit log…" />
        ) : entries.isError ? (
          <ErrorState error={entries.error} retry={() => entries.refetch()} />
        ) : (
          <>
            <div className="table-toolbar">
              <span>Page {page + 1}</span>
              <div className="pager">
                <button type="button" className="button button-small" disabled={page === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
                  Newer
                </button>
                <button type="button" className="button button-small" disabled={!entries.data.nextCursor} onClick={() => setCursors((c) => [...c, entries.data.nextCursor ?? undefined])}>
                  Older
                </button>
              </div>
            </div>
            {entries.data.items.length === 0 ? (
              <EmptyState title="No audit entries match" />
            ) : (
              <div className="table-wrap">
                <table className="table table-compact" data-testid="audit-table">
                  <thead>
                    <tr>
                      <th scope="col">When</th>
                      <th scope="col">Who</th>
                      <th scope="col">Action</th>
                      <th scope="col">Target</th>
                      <th scope="col">Change</th>
                    </tr>
                  </thead>
                  <tbody>
                    {entries.data.items.map((entry) => (
                      <tr key={entry.id}>
                        <td title={new Date(entry.at).toISOString()}>{clock(entry.at)}</td>
                        <td>
                          {entry.actor} <span className={`role role-${entry.role}`}>{entry.role}</span>
                        </td>
                        <td className="mono">{entry.action}</td>
                        <td className="mono">{entry.target}</td>
                        <td>
                          <ChangeSummary before={entry.before} after={entry.after} />
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
