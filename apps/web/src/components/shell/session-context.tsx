/* Who is logged in, for every client component: mutation controls render only for roles that may use them. */
'use client';
import { type Role, roleAllows } from '@sluice/api';
import { type ReactNode, createContext, useContext } from 'react';

export interface SessionInfo {
  user: string;
  role: Role;
}

const SessionContext = createContext<SessionInfo | null>(null);

export function SessionProvider({ session, children }: { session: SessionInfo; children: ReactNode }) {
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionInfo {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}

/** True when the user's role includes `needed` (the agent enforces it anyway; this only hides controls). */
export function useCan(needed: Role): boolean {
  return roleAllows(useSession().role, needed);
}
