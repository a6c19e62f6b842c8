/*
 * A typed tRPC client over the agent's unix socket, for the CLI and tests.
 * fetch cannot reach a unix socket, so requests go through node:http with
 * socketPath and are handed to tRPC's links as fetch-like responses.
 */
import { request } from 'node:http';
import type { AppRouter } from '@sluice/api';
import { createTRPCClient, httpLink, httpSubscriptionLink, splitLink } from '@trpc/client';

export interface SocketClientOptions {
  socketPath: string;
  token: string | null;
  timeoutMs?: number;
}

function socketFetch(socketPath: string, timeoutMs: number) {
  return (input: RequestInfo | URL, init?: RequestInit): Promise<Response> =>
    new Promise((resolve, reject) => {
      const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
      const headers: Record<string, string> = {};
      new Headers(init?.headers).forEach((value, key) => (headers[key] = value));
      /* agent: false — a fresh connection per call (cheap on a unix socket): a pooled one the agent
       * already closed after its keep-alive would fail with EPIPE. */
      const req = request({ socketPath, agent: false, path: url.pathname + url.search, method: init?.method ?? 'GET', headers, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const responseHeaders = new Headers();
          for (const [key, value] of Object.entries(res.headers)) if (typeof value === 'string') responseHeaders.set(key, value);
          resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 500, headers: responseHeaders }));
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer from the agent on ${socketPath} within ${timeoutMs} ms`)));
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED')
          reject(new Error(`cannot reach the agent at ${socketPath} (${error.code}): is \`sluice agent\` running?`));
        else reject(error);
      });
      init?.signal?.addEventListener('abort', () => req.destroy(new Error('aborted')));
      if (init?.body) req.write(init.body as string);
      req.end();
    });
}

export function createSocketClient(options: SocketClientOptions) {
  const fetch = socketFetch(options.socketPath, options.timeoutMs ?? 30_000) as typeof globalThis.fetch;
  const headers = () => (options.token ? { authorization: `Bearer ${options.token}` } : {});
  /* The host is never contacted: every request goes to the socket. */
  const url = 'http://sluice-agent';
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        /* SSE needs a streamed body, which this fetch does not give; subscriptions are for the console. */
        true: httpSubscriptionLink({ url }),
        false: httpLink({ url, fetch, headers }),
      }),
    ],
  });
}

export type SocketClient = ReturnType<typeof createSocketClient>;
