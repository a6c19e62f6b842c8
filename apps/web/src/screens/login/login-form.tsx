'use client';
import { type FormEvent, useState } from 'react';
import { CSRF_HEADER } from '@/client/api-client.ts';
import { InputField } from '@/components/ui/form-field.tsx';

export function LoginForm({ next, expired }: { next: string; expired: boolean }) {
  const [error, setError] = useState<string | null>(expired ? 'Your session has ended: log in again.' : null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      const response = await fetch('/api/session/login', {
        method: 'POST',
        /* The custom header is what a cross-site form cannot send (see server/csrf-check.ts). */
        headers: { 'content-type': 'application/json', [CSRF_HEADER]: 'login' },
        body: JSON.stringify({ user: form.get('user'), password: form.get('password') }),
      });
      if (response.ok) {
        window.location.assign(next);
        return;
      }
      const body = (await response.json().catch(() => ({}))) as { message?: string };
      setError(body.message ?? `Login failed (HTTP ${response.status}).`);
    } catch {
      setError('The console server did not answer. Check that it is running, then retry.');
    }
    setBusy(false);
  };

  return (
    <main className="login-page" id="main">
      <form className="login-card" onSubmit={submit} aria-labelledby="login-title">
        <div className="brand brand-large">
          <span className="brand-mark" aria-hidden="true" />
          Sluice
        </div>
        <h1 id="login-title">Log in to the console</h1>
        <InputField label="User name" name="user" autoComplete="username" required autoFocus />
        <InputField label="Password" name="password" type="password" autoComplete="current-password" required />
        {error && (
          <p className="alert alert-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
        <p className="hint">
          First start: the agent&apos;s admin creates users with <code>sluice user add NAME --role admin</code>.
        </p>
      </form>
    </main>
  );
}
