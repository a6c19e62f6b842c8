/*
 * API tokens (admin, on the users screen): who made each and when it was
 * last used, so an unused or unknown token stands out, and revoke, which the
 * agent enforces from the next request. Create shows the new secret once,
 * to copy (the agent keeps only its hash); the list never shows one.
 */
'use client';
import { ROLES, type Role, type TokenView } from '@sluice/api';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '@/client/api-client.ts';
import { clock } from '@/client/format.ts';
import type { useNotice } from '@/client/use-notice.ts';
import { ConfirmDialog } from '@/components/ui/confirm-dialog.tsx';
import { type Column, DataTable } from '@/components/ui/data-table.tsx';
import { FormSubmit, InputField, SelectField } from '@/components/ui/form-field.tsx';
import { QueryState } from '@/components/ui/query-state.tsx';
import { EmptyState } from '@/components/ui/states.tsx';

/* The admin token file's token: the agent re-creates it at start, so it cannot be revoked here. */
const AGENT_TOKEN = 'root';

export function TokensPanel({ notice }: { notice: ReturnType<typeof useNotice> }) {
  const queryClient = useQueryClient();
  const [revoking, setRevoking] = useState<TokenView | null>(null);
  /* The secret of the token just created: shown until dismissed, never fetched again. */
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const [copied, setCopied] = useState(false);
  const create = useMutation({
    mutationFn: (input: { name: string; role: Role }) => api.auth.createToken.mutate(input),
    onSuccess: (token) => {
      setCreated({ name: token.name, token: token.token });
      setCopied(false);
      notice.ok(`Created token ${token.name} (${token.role}). Copy its secret now: it is not shown again.`);
    },
    onError: notice.fail,
    onSettled: () => void queryClient.invalidateQueries({ queryKey: ['auth.listTokens'] }),
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    create.mutate({ name: String(form.get('name')).trim(), role: form.get('role') as Role }, { onSuccess: () => formElement.reset() });
  };
  const copy = async (secret: string) => {
    await navigator.clipboard.writeText(secret);
    setCopied(true);
  };
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
      <form className="form-grid form-grid-compact" onSubmit={submit} aria-label="Create an API token">
        <InputField label="Token name" name="name" required pattern="[A-Za-z0-9_.:\-]{1,64}" title="1-64 letters, digits, _ . : -" autoComplete="off" />
        <SelectField label="Role" width="narrow" name="role" defaultValue="viewer" options={ROLES} />
        <FormSubmit label="Create token" busyLabel="Creating…" busy={create.isPending} />
      </form>
      {created && (
        <div className="alert alert-ok new-token" data-testid="new-token">
          <p>
            Secret of <strong>{created.name}</strong>, shown this once (send it as <code>Authorization: Bearer …</code>):
          </p>
          <p>
            <code className="mono" data-testid="new-token-secret">
              {created.token}
            </code>{' '}
            <button type="button" className="button button-small" onClick={() => void copy(created.token)}>
              {copied ? 'Copied' : 'Copy'}
            </button>{' '}
            <button type="button" className="button button-small button-quiet" onClick={() => setCreated(null)}>
              Done, hide it
            </button>
          </p>
        </div>
      )}
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
