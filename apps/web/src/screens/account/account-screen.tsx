/*
 * Your own account (any role): change your password. The current password is
 * asked for, so a console left logged in is not enough to take the account;
 * the agent ends your other sessions and keeps this one.
 */
'use client';
import { MIN_PASSWORD_LENGTH } from '@sluice/api';
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '@/client/api-client.ts';
import { useNotice } from '@/client/use-notice.ts';
import { useSession } from '@/components/shell/session-context.tsx';
import { FormProblem, FormSubmit, InputField } from '@/components/ui/form-field.tsx';
import { PageHeader } from '@/components/ui/page-header.tsx';
import { Notice } from '@/components/ui/states.tsx';

export function AccountScreen() {
  const me = useSession();
  const notice = useNotice();
  const [problem, setProblem] = useState<string | null>(null);
  const change = useMutation({
    mutationFn: (input: { currentPassword: string; newPassword: string }) => api.auth.changePassword.mutate(input),
    onSuccess: (result) =>
      notice.ok(
        `Your password is changed. ${
          result.sessionsEnded === 0
            ? 'You had no other session.'
            : `${result.sessionsEnded} other session${result.sessionsEnded === 1 ? '' : 's'} of yours ended; this one goes on.`
        }`,
      ),
    onError: notice.fail,
  });

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const newPassword = String(form.get('newPassword'));
    if (newPassword !== String(form.get('repeatPassword'))) return setProblem('The new password and its repetition differ.');
    setProblem(null);
    change.mutate({ currentPassword: String(form.get('currentPassword')), newPassword }, { onSuccess: () => formElement.reset() });
  };

  return (
    <>
      <PageHeader title="Your account" subtitle={`Logged in as ${me.user} (${me.role}).`} />
      <Notice notice={notice.notice} onDismiss={notice.clear} />
      <form className="card form-grid form-grid-compact" onSubmit={submit} aria-labelledby="password-title">
        <h2 id="password-title" className="form-title">
          Change your password
        </h2>
        <InputField label="Current password" name="currentPassword" type="password" required autoComplete="current-password" />
        <InputField
          label={`New password (at least ${MIN_PASSWORD_LENGTH} characters)`}
          name="newPassword"
          type="password"
          minLength={MIN_PASSWORD_LENGTH}
          required
          autoComplete="new-password"
        />
        <InputField label="New password again" name="repeatPassword" type="password" minLength={MIN_PASSWORD_LENGTH} required autoComplete="new-password" />
        <FormProblem problem={problem} />
        <FormSubmit label="Change password" busyLabel="Changing…" busy={change.isPending} />
        <p className="muted form-title">Your other sessions (other browsers, the phone) end; this one stays logged in.</p>
      </form>
    </>
  );
}
