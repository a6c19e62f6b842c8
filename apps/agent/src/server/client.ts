/*
 * A typed tRPC client over the agent's unix socket, for the CLI and tests.
 * fetch cannot reach a unix socket, so requests go through node:http with
 * socketPath and are handed to tRPC's links as fetch-like responses.
 */
import { type IncomingHttpHeaders, request } from 'node:http';
import { connect } from 'node:net';
import type { AppRouter } from '@sluice/api';
import { createTRPCClient, httpBatchLink } from '@trpc/client';

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

export function createSocketClient(options: SocketClientOptions) {
  /* Narrower than the global fetch's type, and all that httpLink uses of it. */
  const fetch = socketFetch(options.socketPath, options.timeoutMs ?? 30_000, options.onAnswer) as unknown as typeof globalThis.fetch;
  const headers = () => {
    const token = typeof options.token === 'function' ? options.token() : options.token;
    return token ? { authorization: `Bearer ${token}` } : {};
  };
  /* The host is never contacted: every request goes to the socket. */
  const url = 'http://sluice-agent';
  return createTRPCClient<AppRouter>({
    links: [
      /*
       * One call per request (maxItems 1), as httpLink would send it; not httpLink itself: it
       * tests every input with `instanceof FormData`, and that first touch of the global loads
       * undici, tens of milliseconds at each CLI start (issue 15). The batch link sends JSON only.
       * No subscriptions: SSE needs a streamed body, which this fetch does not give (they are
       * the console's, through its own server); the link refuses one by name.
       */
      httpBatchLink({ url, fetch, headers, maxItems: 1 }),
    ],
  });
}

export type SocketClient = ReturnType<typeof createSocketClient>;
