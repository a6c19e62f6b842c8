/* The frame of every console page: navigation, who is logged in, logout. */
'use client';
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { type ReactNode, useState } from 'react';
import { csrfToken, CSRF_HEADER } from '@/client/api-client.ts';
import { type SessionInfo, SessionProvider } from './session-context.tsx';
import { QueryProvider } from './query-provider.tsx';

const NAV = [
  { href: '/', label: 'Overview', exact: true },
  { href: '/services', label: 'Services' },
  { href: '/connections', label: 'Connections' },
  { href: '/audit', label: 'Audit log' },
  { href: '/node', label: 'Node' },
  { href: '/users', label: 'Users', adminOnly: true },
  { href: '/configuration', label: 'Configuration', adminOnly: true },
];

function LogoutButton() {
  const [busy, setBusy] = useState(false);
  const logout = async () => {
    setBusy(true);
    await fetch('/api/session/logout', { method: 'POST', headers: { [CSRF_HEADER]: csrfToken() } }).catch(() => undefined);
    window.location.assign('/login');
  };
  return (
    <button type="button" className="button button-quiet" onClick={logout} disabled={busy}>
      {busy ? 'Logging out…' : 'Log out'}
    </button>
  );
}

export function ConsoleShell({ session, children }: { session: SessionInfo; children: ReactNode }) {
  const pathname = usePathname();
  const active = (href: string, exact?: boolean) => (exact ? pathname === href : pathname === href || pathname.startsWith(`${href}/`));
  return (
    <SessionProvider session={session}>
      <QueryProvider>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <div className="shell">
          <header className="topbar">
            <Link href="/" className="brand" aria-label="Sluice overview">
              <span className="brand-mark" aria-hidden="true" />
              Sluice
            </Link>
            <nav aria-label="Main" className="nav">
              {NAV.filter((item) => !item.adminOnly || session.role === 'admin').map((item) => (
                <Link key={item.href} href={item.href} className="nav-link" aria-current={active(item.href, item.exact) ? 'page' : undefined}>
                  {item.label}
                </Link>
              ))}
            </nav>
            <div className="whoami">
              <Link href="/account" data-testid="whoami" title="Your account: change your password">
                {session.user} <span className={`role role-${session.role}`}>{session.role}</span>
              </Link>
              <LogoutButton />
            </div>
          </header>
          <main id="main" className="main" tabIndex={-1}>
            {children}
          </main>
        </div>
      </QueryProvider>
    </SessionProvider>
  );
}
