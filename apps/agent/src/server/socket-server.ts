/*
 * tRPC over a unix socket. The socket file is the access boundary (mode
 * 0660: root and the sluice group); the bearer token inside each request
 * says who the caller is and so what they may do.
 */
import { chmodSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { connect, isIP } from 'node:net';
import { dirname } from 'node:path';
import { CLIENT_ADDRESS_HEADER, createAppRouter, errorReference, type SluiceBackend } from '@sluice/api';
import { FLEET_ANSWER_HEADER } from './client.js';
import { createRequestHandler } from './request-handler.js';
import type { Authenticator } from '../auth/authenticator.js';

export const SOCKET_MODE = 0o660;
/*
 * The largest request body read. The biggest real one, a config import of a
 * full data plane (256 services, 4096 backends), is under 1 MiB; anything
 * past this is refused (413) before it is parsed, so no caller can make the
 * agent buffer an unbounded body.
 */
export const MAX_REQUEST_BYTES = 8 * 1024 * 1024;

export interface SocketServerOptions {
  socketPath: string;
  /** The procedures' implementation (the Agent), and who a bearer token is (its authenticator). */
  agent: SluiceBackend & { readonly authenticator: Pick<Authenticator, 'identify'>; readonly inFleet?: boolean };
  /**
   * Called on unexpected (INTERNAL) errors, for the agent's log: the real
   * message and stack, under the reference the client was given instead.
   */
  onError?: (message: string) => void;
}

export function bearerOf(header: string | string[] | undefined): string | null {
  const value = Array.isArray(header) ? header[0] : header;
  const match = /^Bearer\s+(\S+)$/i.exec(value ?? '');
  return match ? match[1]! : null;
}

/**
 * The browser address the console passed on with a request, or null (a
 * local caller). Only an IP literal is taken, so the throttle's keys stay
 * addresses; an IPv4-mapped IPv6 address counts as its IPv4 form.
 */
export function clientAddressOf(header: string | string[] | undefined): string | null {
  const value = (Array.isArray(header) ? header[0] : header)?.trim().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  return value && isIP(value) ? value.toLowerCase() : null;
}

/** True if something answers on the socket: another agent is running there. */
function socketInUse(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

export async function startSocketServer(options: SocketServerOptions): Promise<Server> {
  const { socketPath, agent } = options;
  const { authenticator } = agent;
  const api = createAppRouter(agent);
  const handler = createRequestHandler({
    router: api.router,
    maxBodySize: MAX_REQUEST_BYTES,
    /* A fleet's node says so on every answer: the CLI waits for convergence after a change only then (cli/convergence.ts). */
    responseMeta: () => (agent.inFleet ? { headers: { [FLEET_ANSWER_HEADER]: '1' } } : {}),
    createContext: ({ req }) => {
      const token = bearerOf(req.headers.authorization);
      return api.createContext(authenticator.identify(token), token, clientAddressOf(req.headers[CLIENT_ADDRESS_HEADER]));
    },
    onError: ({ error, path }) => {
      if (error.code !== 'INTERNAL_SERVER_ERROR') return;
      const cause = error.cause ?? error;
      options.onError?.(`${path ?? '(unknown path)'} [reference ${errorReference(error)}]: ${cause.stack ?? cause.message}`);
    },
    onInternalFailure: (error) => options.onError?.(`answering a request failed: ${(error as Error).stack ?? String(error)}`),
  });
  mkdirSync(dirname(socketPath), { recursive: true, mode: 0o755 });
  if (existsSync(socketPath)) {
    if (await socketInUse(socketPath)) throw new Error(`${socketPath} is in use: another agent is running; stop it first`);
    /* A stale socket from an agent that was killed. */
    rmSync(socketPath);
  }
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(socketPath, SOCKET_MODE);
  return server;
}

export function stopSocketServer(server: Server, socketPath: string): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => {
      rmSync(socketPath, { force: true });
      resolve();
    });
  });
}
