/* Every page inside needs a session; without one the user goes to the login page. */
import { redirect } from 'next/navigation';
import type { ReactNode } from 'react';
import { ConsoleShell } from '@/components/shell/console-shell.tsx';
import { currentSession } from '@/server/current-session.ts';

export const dynamic = 'force-dynamic';

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const session = await currentSession();
  if (!session) redirect('/login');
  return <ConsoleShell session={{ user: session.user, role: session.role }}>{children}</ConsoleShell>;
}
