/*
 * tRPC over node:http, the way the agent serves its socket. tRPC's own
 * standalone adapter turns every request into a web Request with a
 * ReadableStream body and pipes every answer through a WritableStream: a
 * dozen promise hops each way, about 0.5 ms of a reweight's 4-5 ms through
 * the API (bench control-plane/visible-after), on the path before the change
 * reaches the maps. Here a body is read whole (it is at most
 * MAX_REQUEST_BYTES) and handed to tRPC as a string, and an answer is
 * written whole; only a streamed answer (a subscription's server-sent
 * events, a JSON-lines batch) is written chunk by chunk. The rest is tRPC's
 * resolveResponse, the function every adapter calls: routing, batching,
 * context, errors and status codes are exactly what the standalone adapter
 * gives.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { type AnyTRPCRouter, TRPCError } from '@trpc/server';
import { type HTTPBaseHandlerOptions, resolveResponse } from '@trpc/server/http';

export interface RequestHandlerOptions<TRouter extends AnyTRPCRouter> extends HTTPBaseHandlerOptions<TRouter, IncomingMessage> {
  /** A larger body is refused with 413 (PAYLOAD_TOO_LARGE) once that many bytes have come, before it is parsed. */
  maxBodySize: number;
  createContext: (opts: { req: IncomingMessage }) => unknown;
  /** resolveResponse itself failed (never expected: it answers every error it meets); the client gets a bare 500. */
  onInternalFailure: (error: unknown) => void;
}

/* An answer whose body arrives over time (server-sent events, a JSON-lines batch); anything else is written whole. */
const isStreamed = (headers: Headers) => (headers.get('content-type') ?? '').startsWith('text/event-stream') || headers.get('transfer-encoding') === 'chunked';

/* The client closed its connection before its body was complete: there is no one to answer. */
class ClientGone extends Error {}

/** The body as text, or PAYLOAD_TOO_LARGE once it passes `limit` bytes (the rest is not kept). */
function readBody(req: IncomingMessage, limit: number): Promise<string | TRPCError> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      stop();
      resolve(new TRPCError({ code: 'PAYLOAD_TOO_LARGE', message: `the request body is over ${limit} bytes` }));
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks, size).toString('utf8'));
    };
    /* Node reports a client that went mid-body as an error ("aborted"), then a close. */
    const onError = (error: Error) => {
      stop();
      reject(req.complete ? error : new ClientGone());
    };
    const onClose = () => {
      if (req.complete) return;
      stop();
      reject(new ClientGone());
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

function fetchHeaders(incoming: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming)) {
    if (name.startsWith(':') || value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else headers.append(name, value);
  }
  return headers;
}

/** Writes a streamed body as it comes, waiting for the socket to drain; stops when the client goes. */
async function writeStreamed(res: ServerResponse, body: ReadableStream<Uint8Array>): Promise<void> {
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || res.destroyed) break;
      if (!res.write(value))
        await new Promise<void>((resolve) => {
          const resume = () => {
            res.off('drain', resume);
            res.off('close', resume);
            resolve();
          };
          res.on('drain', resume);
          res.on('close', resume);
        });
    }
  } finally {
    reader.releaseLock();
    res.end();
  }
}

async function answer<TRouter extends AnyTRPCRouter>(options: RequestHandlerOptions<TRouter>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  /* Aborted when the client goes before its answer is complete: a subscription then ends. */
  const gone = new AbortController();
  res.once('close', () => {
    if (!res.writableEnded) gone.abort();
  });
  let body: string | undefined;
  let refused: TRPCError | null = null;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    const read = await readBody(req, options.maxBodySize);
    if (typeof read === 'string') body = read;
    else refused = read;
  }
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://sluice-agent');
  } catch (cause) {
    refused ??= new TRPCError({ code: 'BAD_REQUEST', message: 'Invalid URL', cause });
    url = new URL('http://sluice-agent/');
  }
  const request = new Request(url, { method: req.method, headers: fetchHeaders(req.headers), body, signal: gone.signal });
  const response = await resolveResponse({
    ...options,
    req: request,
    /* As the standalone adapter: one slash off each end. */
    path: url.pathname.replace(/^\//, '').replace(/\/$/, ''),
    error: refused,
    createContext: async () => options.createContext({ req }) as never,
    onError: (error) => options.onError?.({ ...error, req }),
  });
  res.statusCode = response.status;
  for (const [name, value] of response.headers) if (name !== 'set-cookie') res.setHeader(name, value);
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);
  if (!response.body) {
    res.end();
    return;
  }
  if (isStreamed(response.headers)) await writeStreamed(res, response.body);
  else res.end(Buffer.from(await response.arrayBuffer()));
}

export function createRequestHandler<TRouter extends AnyTRPCRouter>(options: RequestHandlerOptions<TRouter>) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    answer(options, req, res).catch((error: unknown) => {
      if (error instanceof ClientGone) {
        res.destroy();
        return;
      }
      options.onInternalFailure(error);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.statusCode = 500;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ error: { message: 'Internal server error', code: -32603, data: { code: 'INTERNAL_SERVER_ERROR', httpStatus: 500 } } }));
    });
  };
}
