/*
 * /api/trpc/* -> the agent. Every call needs a console session; the
 * session's agent token goes upstream as the bearer, so the agent — not the
 * console — decides what the user's role may do. State-changing calls
 * (POST; tRPC refuses mutations over GET) must pass the CSRF check first.
 */
import { AgentUnreachableError, callAgent } from './agent-socket.ts';
import { checkCsrf } from './csrf-check.ts';
import { SESSION_COOKIE } from './session-cookies.ts';
import { endSession, findSession } from './session-store.ts';
import { trpcErrorReply } from './trpc-error-reply.ts';
import { logUnexpected, unexpectedErrorMessage } from './unexpected-error.ts';

const PREFIX = '/api/trpc/';
/* Sessions are made and ended by /api/session/*, which keep the agent token server-side. */
const HANDLED_ELSEWHERE = new Set(['auth.login', 'auth.logout']);
/* tRPC procedure paths are dotted identifiers; anything else never reaches the socket. */
const PROCEDURE_PATH = /^[A-Za-z][\w.]*(,[A-Za-z][\w.]*)*$/;
/* Upstream headers worth passing on (hop-by-hop ones are not). */
const PASSED_HEADERS = ['content-type', 'cache-control'];

function cookieValue(request: Request, name: string): string | undefined {
  const header = request.headers.get('cookie') ?? '';
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}

export async function proxyTrpc(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const batched = url.searchParams.get('batch') === '1';
  try {
    return await proxy(request, url, batched);
  } catch (error) {
    /* Shaped like the agent's own unexpected errors: a reference, never the message or stack. */
    const reference = logUnexpected(`${request.method} ${url.pathname}`, error);
    return trpcErrorReply({
      procedures: [''],
      batched: false,
      trpcCode: 'INTERNAL_SERVER_ERROR',
      sluiceCode: 'INTERNAL',
      message: unexpectedErrorMessage(reference),
      reference,
    });
  }
}

async function proxy(request: Request, url: URL, batched: boolean): Promise<Response> {
  const pathPart = decodeURIComponent(url.pathname.slice(url.pathname.indexOf(PREFIX) + PREFIX.length));
  const procedures = pathPart.split(',');
  const refuse = (
    trpcCode: Parameters<typeof trpcErrorReply>[0]['trpcCode'],
    sluiceCode: Parameters<typeof trpcErrorReply>[0]['sluiceCode'],
    message: string,
    httpStatus?: number,
  ) => trpcErrorReply({ procedures, batched, trpcCode, sluiceCode, message, httpStatus });

  if (!PROCEDURE_PATH.test(pathPart)) return refuse('NOT_FOUND', 'NOT_FOUND', `"${pathPart}" is not an API procedure`);
  if (procedures.some((p) => HANDLED_ELSEWHERE.has(p)))
    return refuse('BAD_REQUEST', 'INVALID', 'log in and out through the console (/login), not through the API proxy');

  const sessionId = cookieValue(request, SESSION_COOKIE);
  const session = findSession(sessionId);
  if (!session) return refuse('UNAUTHORIZED', 'UNAUTHENTICATED', 'Your session has ended or you are not logged in: log in again.');

  const method = request.method === 'POST' ? 'POST' : 'GET';
  if (method === 'POST') {
    const verdict = checkCsrf(request, session.csrfToken);
    if (!verdict.ok)
      return refuse('FORBIDDEN', 'CSRF', `Refused: ${verdict.reason}. Changes are accepted only from the console's own pages; reload the page and try again.`);
  }

  const streaming = (request.headers.get('accept') ?? '').includes('text/event-stream');
  try {
    const reply = await callAgent({
      method,
      path: `/${pathPart}${url.search}`,
      bearer: session.agentToken,
      body: method === 'POST' ? Buffer.from(await request.arrayBuffer()) : undefined,
      contentType: request.headers.get('content-type'),
      signal: request.signal,
      streaming,
    });
    /* The agent no longer knows this session (expired, or an admin changed the user): end ours too. */
    if (reply.status === 401 && sessionId) endSession(sessionId);
    const headers = new Headers({ 'cache-control': 'no-store' });
    for (const name of PASSED_HEADERS) {
      const value = reply.headers[name];
      if (typeof value === 'string') headers.set(name, value);
    }
    /* Proxies in front of the console must not buffer the live feeds. */
    if (streaming) headers.set('x-accel-buffering', 'no');
    return new Response(reply.body, { status: reply.status, headers });
  } catch (error) {
    if (error instanceof AgentUnreachableError) return refuse('INTERNAL_SERVER_ERROR', 'AGENT_UNREACHABLE', error.message, 502);
    throw error;
  }
}
