/* The session of the request being rendered, for server components and route handlers. */
import { cookies } from 'next/headers';
import { SESSION_COOKIE } from './session-cookies.ts';
import { type ConsoleSession, findSession } from './session-store.ts';

export async function currentSession(): Promise<ConsoleSession | null> {
  const jar = await cookies();
  return findSession(jar.get(SESSION_COOKIE)?.value);
}
