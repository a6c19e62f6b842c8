/*
 * The two cookies of a console session. The session id is HttpOnly (script
 * can never read it) and SameSite=Strict (no cross-site request carries it).
 * The CSRF token is readable by the page's script, which echoes it in the
 * x-sluice-csrf header; the server compares it with the session's copy.
 */
import type { ConsoleSession } from './session-store.ts';
import { consoleSettings } from './console-settings.ts';

export const SESSION_COOKIE = 'sluice_session';
export const CSRF_COOKIE = 'sluice_csrf';
export const CSRF_HEADER = 'x-sluice-csrf';

interface CookieWriter {
  set(name: string, value: string, options: Record<string, unknown>): unknown;
}

function baseOptions(expiresAt: number) {
  return { path: '/', sameSite: 'strict' as const, secure: consoleSettings().secureCookies, expires: new Date(expiresAt) };
}

export function writeSessionCookies(cookies: CookieWriter, session: ConsoleSession): void {
  cookies.set(SESSION_COOKIE, session.id, { ...baseOptions(session.expiresAt), httpOnly: true });
  cookies.set(CSRF_COOKIE, session.csrfToken, { ...baseOptions(session.expiresAt), httpOnly: false });
}

export function clearSessionCookies(cookies: CookieWriter): void {
  cookies.set(SESSION_COOKIE, '', { ...baseOptions(0), httpOnly: true, maxAge: 0 });
  cookies.set(CSRF_COOKIE, '', { ...baseOptions(0), httpOnly: false, maxAge: 0 });
}
