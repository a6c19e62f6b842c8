/* Users (admin): add users, change roles, remove users, see and revoke API tokens. A role change ends that user's sessions (the agent does it). */
'use client';
import { MIN_PASSWORD_LENGTH, ROLE_PURPOSE, ROLES, type Role, type UserView } from '@sluice/api';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '@/client/api-client.ts';
import { clock } from '@/client/format.ts';
import { useNotice } from '@/client/use-notice.ts';
import { useCan, useSession } from '@/components/shell/session-context.tsx';
import { ConfirmDialog } from '@/components/ui/confirm-dialog.tsx';
import { type Column, DataTable } from '@/components/ui/data-table.tsx';
import { FormSubmit, InputField, Options, SelectField } from '@/components/ui/form-field.tsx';
import { PageHeader } from '@/components/ui/page-header.tsx';
import { QueryState } from '@/components/ui/query-state.tsx';
import { EmptyState, Notice } from '@/components/ui/states.tsx';
import { TokensPanel } from './tokens-panel.tsx';

export function UsersScreen() {
  const isAdmin = useCan('admin');
  const me = useSession();
  const queryClient = useQueryClient();
  const notice = useNotice();
  const [deleting, setDeleting] = useState<UserView | null>(null);
  const users = useQuery({ queryKey: ['auth.listUsers'], queryFn: () => api.auth.listUsers.query(), enabled: isAdmin });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['auth.listUsers'] });

  const create = useMutation({
    mutationFn: (input: { user: string; password: string; role: Role }) => api.auth.createUser.mutate(input),
    onSuccess: (user) => notice.ok(`Added ${user.user} as ${user.role}.`),
    onError: notice.fail,
    onSettled: refresh,
  });
  const update = useMutation({
    mutationFn: (input: { user: string; role: Role }) => api.auth.updateUser.mutate(input),
    onSuccess: (user) => notice.ok(`${user.user} is now ${user.role}; their open sessions were ended.`),
    onError: notice.fail,
    onSettled: refresh,
  });
  const remove = useMutation({
    mutationFn: (user: string) => api.auth.deleteUser.mutate({ user }),
    onSuccess: (_r, user) => notice.ok(`Removed ${user}.`),
    onError: notice.fail,
    onSettled: () => {
      setDeleting(null);
      void refresh();
    },
  });

  if (!isAdmin)
    return (
      <>
        <PageHeader title="Users" />
        <EmptyState title="Only admins manage users">
          <p>You are logged in as {me.role}.</p>
        </EmptyState>
      </>
    );

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    create.mutate(
      { user: String(form.get('user')).trim(), password: String(form.get('password')), role: form.get('role') as Role },
      { onSuccess: () => formElement.reset() },
    );
  };

  const columns: Column<UserView>[] = [
    {
      header: 'User',
      rowHeader: true,
      cell: (user) => (
        <>
          {user.user}
          {user.user === me.user && <span className="muted"> (you)</span>}
        </>
      ),
    },
    {
      header: 'Role',
      cell: (user) => (
        <select
          value={user.role}
          aria-label={`Role of ${user.user}`}
          disabled={update.isPending || user.user === me.user}
          title={user.user === me.user ? 'You cannot change your own role here' : undefined}
          onChange={(e) => update.mutate({ user: user.user, role: e.target.value as Role })}
        >
          <Options options={ROLES} />
        </select>
      ),
    },
    { header: 'Created', cell: (user) => clock(user.createdAt) },
    { header: 'Changed', cell: (user) => clock(user.updatedAt) },
    {
      header: <span className="sr-only">Actions</span>,
      cellClassName: 'actions',
      cell: (user) =>
        user.user !== me.user && (
          <button type="button" className="button button-small button-danger-quiet" onClick={() => setDeleting(user)}>
            Remove<span className="sr-only"> {user.user}</span>
          </button>
        ),
    },
  ];

  return (
    <>
      <PageHeader title="Users" subtitle="Who may log in to the console and the API, and what each may do." />
      <Notice notice={notice.notice} onDismiss={notice.clear} />
      <form className="card form-grid form-grid-compact" onSubmit={submit} aria-labelledby="add-user-title">
        <h2 id="add-user-title" className="form-title">
          Add a user
        </h2>
        <InputField
          label="User name"
          name="user"
          required
          pattern="[A-Za-z_][A-Za-z0-9_.\-]{0,63}"
          title="1-64 letters, digits, _ . - (starting with a letter or _)"
          autoComplete="off"
        />
        <InputField
          label={`Password (at least ${MIN_PASSWORD_LENGTH} characters)`}
          name="password"
          type="password"
          minLength={MIN_PASSWORD_LENGTH}
          required
          autoComplete="new-password"
        />
        <SelectField label="Role" width="narrow" name="role" defaultValue="viewer" options={ROLES} />
        <FormSubmit label="Add user" busyLabel="Adding…" busy={create.isPending} />
      </form>
      <section className="card" aria-label="User list">
        <ul className="role-legend">
          {ROLES.map((r) => (
            <li key={r}>
              <span className={`role role-${r}`}>{r}</span> {ROLE_PURPOSE[r]}
            </li>
          ))}
        </ul>
        <QueryState query={users} loadingLabel="Loading users…">
          {(list) => (
            <DataTable
              testId="users-table"
              columns={columns}
              rows={list}
              rowKey={(user) => user.user}
              rowProps={(user) => ({ 'data-user': user.user })}
              empty={<EmptyState title="No users yet" />}
            />
          )}
        </QueryState>
      </section>
      <TokensPanel notice={notice} />
      <ConfirmDialog
        open={deleting !== null}
        title={`Remove user ${deleting?.user ?? ''}?`}
        confirmLabel="Remove user"
        danger
        busy={remove.isPending}
        onCancel={() => setDeleting(null)}
        onConfirm={() => deleting && remove.mutate(deleting.user)}
      >
        <p>They can no longer log in; their open sessions end.</p>
      </ConfirmDialog>
    </>
  );
}
