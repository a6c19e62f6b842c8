/*
 * Login: the user's name and password go to the agent's auth.login; the
 * agent's session token stays in this server's memory and the browser gets
 * an opaque session id instead.
 */
import { cookies } from 'next/headers';
import { z } from 'zod';
import { AgentUnreachableError, callAgent } from '@/server/agent-socket.ts';
import { checkLoginCsrf } from '@/server/csrf-check.ts';
import { writeSessionCookies } from '@/server/session-cookies.ts';
import { createSession } from '@/server/session-store.ts';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

const credentialsSchema = z.object({ user: z.string().trim().min(1).max(64), password: z.string().min(1).max(1024) });
const loginReplySchema = z.object({
  result: z.object({
    data: z.object({ token: z.string(), user: z.string(), role: z.enum(['viewer', 'operator', 'admin']), expiresAt: z.number() }),
  }),
});

const reply = (status: number, message: string) => Response.json({ message }, { status, headers: { 'cache-control': 'no-store' } });

export async function POST(request: Request): Promise<Response> {
  const csrf = checkLoginCsrf(request);
  if (!csrf.ok) return reply(403, `Refused: ${csrf.reason}.`);
  const credentials = credentialsSchema.safeParse(await request.json().catch(() => null));
  if (!credentials.success) return reply(400, 'Enter a user name and a password.');
  try {
    const upstream = await callAgent({
      method: 'POST',
      path: '/auth.login',
      bearer: null,
      body: Buffer.from(JSON.stringify(credentials.data)),
      signal: request.signal,
      streaming: false,
    });
    const body: unknown = await new Response(upstream.body).json().catch(() => null);
    if (upstream.status === 401 || upstream.status === 400) return reply(401, 'Wrong user name or password.');
    const login = loginReplySchema.safeParse(body);
    if (upstream.status !== 200 || !login.success) return reply(502, `The agent refused the login (HTTP ${upstream.status}); see the agent's log.`);
    const session = createSession(login.data.result.data);
    writeSessionCookies(await cookies(), session);
    return Response.json({ user: session.user, role: session.role }, { headers: { 'cache-control': 'no-store' } });
  } catch (error) {
    if (error instanceof AgentUnreachableError) return reply(502, error.message);
    throw error;
  }
}
