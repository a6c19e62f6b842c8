/* Logout: ends the agent's session and ours, and clears the cookies. CSRF-checked like any change. */
import { cookies } from 'next/headers';
import { callAgent } from '@/server/agent-socket.ts';
import { checkCsrf } from '@/server/csrf-check.ts';
import { SESSION_COOKIE, clearSessionCookies } from '@/server/session-cookies.ts';
import { endSession, findSession } from '@/server/session-store.ts';
import { logUnexpected, unexpectedErrorMessage } from '@/server/unexpected-error.ts';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

export async function POST(request: Request): Promise<Response> {
  try {
    return await logout(request);
  } catch (error) {
    return Response.json(
      { message: unexpectedErrorMessage(logUnexpected('POST /api/session/logout', error)) },
      { status: 500, headers: { 'cache-control': 'no-store' } },
    );
  }
}

async function logout(request: Request): Promise<Response> {
  const jar = await cookies();
  const session = findSession(jar.get(SESSION_COOKIE)?.value);
  if (session) {
    const csrf = checkCsrf(request, session.csrfToken);
    if (!csrf.ok) return Response.json({ message: `Refused: ${csrf.reason}.` }, { status: 403 });
    endSession(session.id);
    /* Best effort: if the agent is away its session expires on its own. */
    await callAgent({ method: 'POST', path: '/auth.logout', bearer: session.agentToken, signal: request.signal, streaming: false })
      .then((r) => r.body.cancel())
      .catch(() => undefined);
  }
  clearSessionCookies(jar);
  return Response.json({ ok: true }, { headers: { 'cache-control': 'no-store' } });
}
