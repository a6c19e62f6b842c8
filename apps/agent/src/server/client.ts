/*
 * A typed tRPC client over the agent's unix socket, for the CLI and tests.
 * fetch cannot reach a unix socket, so requests go through node:http with
 * socketPath and are handed to tRPC's links as fetch-like responses.
 */
import { type IncomingHttpHeaders, request } from 'node:http';
import { connect } from 'node:net';
import type { AppRouter } from '@sluice/api';
import { TRPCClientError, type TRPCLink, createTRPCClient } from '@trpc/client';
import { observable } from '@trpc/server/observable';

export interface SocketClientOptions {
  socketPath: string;
  /** The bearer token, or a function that gives it when the first request goes out (the CLI reads its token file only then). */
  token: string | null | (() => string | null);
  timeoutMs?: number;
  /** Told of every answer: the procedure's path ("services.create"), whether it was a mutation (POST), whether it succeeded, and whether the agent is a fleet's node. */
  onAnswer?: (answer: { path: string; mutation: boolean; ok: boolean; fleet: boolean }) => void;
}

/*
 * What tRPC's httpLink reads of a fetch answer: its status and its body as
 * JSON. A plain object, not a WHATWG Response: building one loads undici (tens
 * of milliseconds at each CLI start, issue 15); node:http is loaded anyway.
 */
interface SocketResponse {
  ok: boolean;
  status: number;
  headers: IncomingHttpHeaders;
  json(): Promise<unknown>;
  text(): Promise<string>;
}

/** Set on every answer of an agent whose desired state is a fleet's (socket-server.ts): the CLI then reports convergence after a change. */
export const FLEET_ANSWER_HEADER = 'x-sluice-fleet';

/** tRPC's httpLink passes its headers as a plain object (httpUtils fetchHTTPResponse). */
type PlainHeaders = Record<string, string>;

function socketFetch(socketPath: string, timeoutMs: number, onAnswer: SocketClientOptions['onAnswer']) {
  return (input: string | URL, init?: { method?: string; headers?: PlainHeaders; body?: string; signal?: AbortSignal | null }): Promise<SocketResponse> =>
    new Promise((resolve, reject) => {
      const url = new URL(input);
      /*
       * A fresh connection per call (cheap on a unix socket): a pooled one the agent already
       * closed after its keep-alive would fail with EPIPE. Made here rather than by an http.Agent,
       * which checks the Host header with node's IPv6 pattern, whose first compile costs tens of
       * milliseconds at each CLI start (issue 15).
       */
      const req = request(
        {
          createConnection: () => connect(socketPath),
          path: url.pathname + url.search,
          method: init?.method ?? 'GET',
          headers: init?.headers,
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 500;
            onAnswer?.({
              path: url.pathname.slice(1),
              mutation: (init?.method ?? 'GET') === 'POST',
              ok: status >= 200 && status < 300,
              fleet: res.headers[FLEET_ANSWER_HEADER] === '1',
            });
            resolve({ ok: status >= 200 && status < 300, status, headers: res.headers, json: async () => JSON.parse(text), text: async () => text });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer from the agent on ${socketPath} within ${timeoutMs} ms`)));
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED')
          reject(new Error(`cannot reach the agent at ${socketPath} (${error.code}): is \`sluice agent\` running?`));
        else reject(error);
      });
      init?.signal?.addEventListener('abort', () => req.destroy(new Error('aborted')));
      if (init?.body) req.write(init.body);
      req.end();
    });
}

/** The path and query of one call in tRPC's HTTP protocol, unbatched: a query's input in the URL, a mutation's in the body. */
function callTarget(type: 'query' | 'mutation', path: string, input: unknown): { target: string; body?: string } {
  const json = input === undefined ? undefined : JSON.stringify(input);
  if (type === 'mutation') return { target: `/${path}`, body: json };
  return { target: json === undefined ? `/${path}` : `/${path}?input=${encodeURIComponent(json)}` };
}

/*
 * Each call goes out at once, as tRPC's httpLink sends it. Not httpBatchLink:
 * it gathers calls for one setTimeout before it sends them, at least 1 ms in
 * Node on every call, about a fifth of a change's whole time through the API
 * (bench control-plane/visible-after); the CLI and the bench make one call at
 * a time. Not httpLink either: it tests every input with `instanceof
 * FormData`, and that first touch of the global loads undici, tens of
 * milliseconds at each CLI start (issue 15). No subscriptions: SSE needs a
 * streamed body (they are the console's, through its own server).
 */
function socketLink(fetch: ReturnType<typeof socketFetch>, headers: () => PlainHeaders): TRPCLink<AppRouter> {
  return () =>
    ({ op }) =>
      observable((observer) => {
        if (op.type === 'subscription') throw new Error(`${op.path} is a subscription: the socket client has none (the console serves them)`);
        /* Aborted by the caller's signal, or by an unsubscribe before the answer (below). */
        const aborted = new AbortController();
        op.signal?.addEventListener('abort', () => aborted.abort(), { once: true });
        let done = false;
        const { target, body } = callTarget(op.type, op.path, op.input);
        const method = op.type === 'mutation' ? 'POST' : 'GET';
        const sent = headers();
        fetch(`http://sluice-agent${target}`, {
          method,
          headers: method === 'POST' ? { ...sent, 'content-type': 'application/json' } : sent,
          body,
          signal: aborted.signal,
        })
          .then(async (res) => {
            done = true;
            const envelope = (await res.json()) as { result?: { data?: unknown }; error?: unknown };
            const meta = { response: res, responseJSON: envelope };
            if (envelope.error !== undefined || !envelope.result) {
              observer.error(TRPCClientError.from(envelope as never, { meta }));
              return;
            }
            observer.next({ context: meta, result: { type: 'data', data: envelope.result.data } });
            observer.complete();
          })
          .catch((cause: Error) => {
            done = true;
            observer.error(TRPCClientError.from(cause));
          });
        /* Unsubscribed before the answer: the request is dropped, its socket closed. */
        return () => {
          if (!done) aborted.abort();
        };
      });
}

export function createSocketClient(options: SocketClientOptions) {
  const fetch = socketFetch(options.socketPath, options.timeoutMs ?? 30_000, options.onAnswer);
  const headers = (): PlainHeaders => {
    const token = typeof options.token === 'function' ? options.token() : options.token;
    return token ? { authorization: `Bearer ${token}` } : {};
  };
  return createTRPCClient<AppRouter>({ links: [socketLink(fetch, headers)] });
}

export type SocketClient = ReturnType<typeof createSocketClient>;
