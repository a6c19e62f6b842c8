/*
 * One HTTP request to the agent over its unix socket. fetch cannot dial a
 * unix socket, so this uses node:http with socketPath and hands the body
 * back as a web stream: queries arrive whole, subscriptions (SSE) flow
 * through chunk by chunk for as long as the browser listens.
 */
import { type IncomingHttpHeaders, request } from 'node:http';
import { Readable } from 'node:stream';
import { CLIENT_ADDRESS_HEADER } from '@sluice/api';
import { consoleSettings } from './console-settings.ts';

/* A query or mutation that takes longer has hung; subscriptions are exempt (they are meant to stay open). */
const REQUEST_TIMEOUT_MS = 30_000;

/*
 * The message goes to the browser, so it names no path: the socket is a
 * detail of this server, logged here for the operator who reads the log.
 */
export class AgentUnreachableError extends Error {
  constructor(
    readonly socketPath: string,
    cause: string,
  ) {
    super(
      `The console cannot reach the Sluice agent (${cause}). Is \`sluice agent\` running? The console's log names the socket it tried (SLUICE_AGENT_SOCKET).`,
    );
    this.name = 'AgentUnreachableError';
  }
}

export interface AgentRequest {
  method: 'GET' | 'POST';
  /** Path and query as the agent's tRPC handler expects: /services.list?input=... */
  path: string;
  bearer: string | null;
  /** The browser's address, passed on with a login so the agent can throttle failures per source. */
  clientAddress?: string | null;
  body?: Buffer;
  contentType?: string | null;
  /** Aborted when the browser goes away: the upstream request is closed with it. */
  signal: AbortSignal;
  streaming: boolean;
}

export interface AgentResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: ReadableStream<Uint8Array>;
}

export function callAgent(options: AgentRequest): Promise<AgentResponse> {
  const socketPath = consoleSettings().agentSocket;
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { accept: options.streaming ? 'text/event-stream' : 'application/json' };
    if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
    if (options.clientAddress) headers[CLIENT_ADDRESS_HEADER] = options.clientAddress;
    if (options.body) {
      headers['content-type'] = options.contentType ?? 'application/json';
      headers['content-length'] = String(options.body.length);
    }
    const upstream = request({ socketPath, path: options.path, method: options.method, headers }, (response) => {
      if (!options.streaming) upstream.setTimeout(0);
      resolve({
        status: response.statusCode ?? 502,
        headers: response.headers,
        body: Readable.toWeb(response) as ReadableStream<Uint8Array>,
      });
    });
    if (!options.streaming) upstream.setTimeout(REQUEST_TIMEOUT_MS, () => upstream.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      if (options.signal.aborted) return reject(error);
      console.error(`[sluice console] cannot reach the agent at ${socketPath}: ${error.message}`);
      reject(new AgentUnreachableError(socketPath, error.code ?? error.message));
    });
    options.signal.addEventListener('abort', () => upstream.destroy(), { once: true });
    if (options.body) upstream.write(options.body);
    upstream.end();
  });
}
