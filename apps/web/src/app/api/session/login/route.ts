/*
 * Login: the user's name and password go to the agent's auth.login with the
 * browser's address (the agent throttles failures per user and per
 * address); the agent's session token stays in this server's memory and the
 * browser gets an opaque session id instead. A session the browser already
 * had is ended here and at the agent: every login gets new ids.
 */
import { cookies } from 'next/headers';
import { z } from 'zod';
import { AgentUnreachableError, callAgent } from '@/server/agent-socket.ts';
import { clientAddressOf } from '@/server/client-address.ts';
import { checkLoginCsrf } from '@/server/csrf-check.ts';
import { SESSION_COOKIE, writeSessionCookies } from '@/server/session-cookies.ts';
import { createSession, endSession, findSession } from '@/server/session-store.ts';
import { logUnexpected, unexpectedErrorMessage } from '@/server/unexpected-error.ts';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

const credentialsSchema = z.object({ user: z.string().trim().min(1).max(64), password: z.string().min(1).max(1024) });
const loginReplySchema = z.object({
  result: z.object({
    data: z.object({ token: z.string(), user: z.string(), role: z.enum(['viewer', 'operator', 'admin']), expiresAt: z.number() }),
  }),
});
const rateLimitedSchema = z.object({
  error: z.object({ message: z.string(), data: z.object({ sluiceCode: z.literal('RATE_LIMITED'), details: z.object({ retryAfterSeconds: z.number() }) }) }),
});

const waitSchema = z.object({ error: z.object({ data: z.object({ details: z.object({ retryAfterSeconds: z.number().optional() }) }) }) });

const reply = (status: number, message: string, headers: Record<string, string> = {}) =>
  Response.json({ message }, { status, headers: { 'cache-control': 'no-store', ...headers } });

export async function POST(request: Request): Promise<Response> {
  try {
    return await login(request);
  } catch (error) {
    if (error instanceof AgentUnreachableError) return reply(502, error.message);
    return reply(500, unexpectedErrorMessage(logUnexpected('POST /api/session/login', error)));
  }
}

async function login(request: Request): Promise<Response> {
  const csrf = checkLoginCsrf(request);
  if (!csrf.ok) return reply(403, `Refused: ${csrf.reason}.`);
  const credentials = credentialsSchema.safeParse(await request.json().catch(() => null));
  if (!credentials.success) return reply(400, 'Enter a user name and a password.');
  const jar = await cookies();
  const previous = findSession(jar.get(SESSION_COOKIE)?.value);
  const upstream = await callAgent({
    method: 'POST',
    path: '/auth.login',
    /* The agent ends the session this bearer names: the old login dies with the new one. */
    bearer: previous?.agentToken ?? null,
    clientAddress: clientAddressOf(request),
    body: Buffer.from(JSON.stringify(credentials.data)),
    signal: request.signal,
    streaming: false,
  });
  if (previous) endSession(previous.id);
  const body: unknown = await new Response(upstream.body).json().catch(() => null);
  if (upstream.status === 401 || upstream.status === 400) {
    /* After a few failures the agent makes the next attempt wait: say so, rather than let the wait look like a second refusal. */
    const wait = waitSchema.safeParse(body);
    const seconds = wait.success ? wait.data.error.data.details.retryAfterSeconds : undefined;
    if (seconds === undefined) return reply(401, 'Wrong user name or password.');
    return reply(401, `Wrong user name or password. Wait ${seconds} s before the next try.`, { 'retry-after': String(seconds) });
  }
  const limited = rateLimitedSchema.safeParse(body);
  if (upstream.status === 429 && limited.success) {
    const seconds = limited.data.error.data.details.retryAfterSeconds;
    return reply(429, `Too many failed logins for this user or from this address. Try again in ${seconds} s, or ask an admin to unlock it.`, {
      'retry-after': String(seconds),
    });
  }
  const login = loginReplySchema.safeParse(body);
  if (upstream.status !== 200 || !login.success) return reply(502, `The agent refused the login (HTTP ${upstream.status}); see the agent's log.`);
  const session = createSession(login.data.result.data);
  writeSessionCookies(jar, session);
  return Response.json({ user: session.user, role: session.role }, { headers: { 'cache-control': 'no-store' } });
}
