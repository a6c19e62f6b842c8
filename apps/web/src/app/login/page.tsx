import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { LoginForm } from '@/screens/login/login-form.tsx';
import { currentSession } from '@/server/current-session.ts';

export const metadata: Metadata = { title: 'Log in' };
export const dynamic = 'force-dynamic';

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ next?: string; expired?: string }> }) {
  const params = await searchParams;
  /* Only same-site paths: the login must never bounce the user to another site. */
  const next = params.next?.startsWith('/') && !params.next.startsWith('//') ? params.next : '/';
  if (!params.expired && (await currentSession())) redirect(next);
  return <LoginForm next={next} expired={Boolean(params.expired)} />;
}
