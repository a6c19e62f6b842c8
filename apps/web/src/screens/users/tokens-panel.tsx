/*
 * API tokens (admin, on the users screen): who made each and when it was
 * last used, so an unused or unknown token stands out, and revoke, which the
 * agent enforces from the next request. The secret is never shown here: the
 * agent keeps only its hash (create tokens with `sluice token create`).
 */
'use client';
import type { TokenView } from '@sluice/api';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '@/client/api-client.ts';
import { clock } from '@/client/format.ts';
import type { useNotice } from '@/client/use-notice.ts';
import { ConfirmDialog } from '@/components/ui/confirm-dialog.tsx';
import { type Column, DataTable } from '@/components/ui/data-table.tsx';
import { QueryState } from '@/components/ui/query-state.tsx';
import { EmptyState } from '@/components/ui/states.tsx';

/* The admin token file's token: the agent re-creates it at start, so it cannot be revoked here. */
const AGENT_TOKEN = 'root';

export function TokensPanel({ notice }: { notice: ReturnType<typeof useNotice> }) {
  const queryClient = useQueryClient();
  const [revoking, setRevoking] = useState<TokenView | null>(null);
  const tokens = useQuery({ queryKey: ['auth.listTokens'], queryFn: () => api.auth.listTokens.query() });
  const revoke = useMutation({
    mutationFn: (name: string) => api.auth.revokeToken.mutate({ name }),
    onSuccess: (_r, name) => notice.ok(`Revoked token ${name}; it is refused from now on.`),
    onError: notice.fail,
    onSettled: () => {
      setRevoking(null);
      void queryClient.invalidateQueries({ queryKey: ['auth.listTokens'] });
    },
  });

  const columns: Column<TokenView>[] = [
    { header: 'Token', rowHeader: true, cell: (token) => token.name },
    { header: 'Role', cell: (token) => <span className={`role role-${token.role}`}>{token.role}</span> },
    { header: 'Created by', cell: (token) => token.createdBy ?? <span className="muted">the agent</span> },
    { header: 'Created', cell: (token) => clock(token.createdAt) },
    { header: 'Last used', cell: (token) => (token.lastUsedAt === null ? <span className="muted">never</span> : clock(token.lastUsedAt)) },
    {
      header: <span className="sr-only">Actions</span>,
      cellClassName: 'actions',
      cell: (token) =>
        token.name !== AGENT_TOKEN && (
          <button type="button" className="button button-small button-danger-quiet" onClick={() => setRevoking(token)}>
            Revoke<span className="sr-only"> {token.name}</span>
          </button>
        ),
    },
  ];

  return (
    <section className="card" aria-labelledby="tokens-title">
      <h2 id="tokens-title" className="form-title">
        API tokens
      </h2>
      <QueryState query={tokens} loadingLabel="Loading tokens…">
        {(list) => (
          <DataTable
            testId="tokens-table"
            columns={columns}
            rows={list}
            rowKey={(token) => token.name}
            rowProps={(token) => ({ 'data-token': token.name })}
            empty={<EmptyState title="No API tokens" />}
          />
        )}
      </QueryState>
      <ConfirmDialog
        open={revoking !== null}
        title={`Revoke token ${revoking?.name ?? ''}?`}
        confirmLabel="Revoke token"
        danger
        busy={revoke.isPending}
        onCancel={() => setRevoking(null)}
        onConfirm={() => revoking && revoke.mutate(revoking.name)}
      >
        <p>Whatever uses it is refused from its next request on. This cannot be undone; a new token has a new secret.</p>
      </ConfirmDialog>
    </section>
  );
}
