/*
 * How the CLI reaches the agent: the socket (--socket, $SLUICE_SOCKET or the
 * default) and a bearer token (the admin token file from --token-file; else
 * $SLUICE_TOKEN; else the file from $SLUICE_TOKEN_FILE or the default, readable by root only).
 * The token file is read when the first request goes out, not before: a line
 * with a usage error, or a command that needs no agent, never reads it.
 */
import { readFileSync } from 'node:fs';
import type { SocketClient } from '../server/client.js';
import { DEFAULT_ADMIN_TOKEN_FILE, DEFAULT_SOCKET_PATH } from '../default-paths.js';

export interface ConnectionFlags {
  socket?: string;
  'token-file'?: string;
}

/* tRPC and the socket client load with the first command that calls the agent: --help and usage errors never load them. */
const socketClient = () => import('../server/client.js');

export async function connect(flags: ConnectionFlags): Promise<SocketClient> {
  const { createSocketClient } = await socketClient();
  const socketPath = flags.socket ?? process.env.SLUICE_SOCKET ?? DEFAULT_SOCKET_PATH;
  let token: string | null | undefined;
  return createSocketClient({ socketPath, token: () => (token === undefined ? (token = tokenFrom(flags)) : token) });
}

/** The agent with a token of the caller's own (null: none), e.g. a session from a login; the token file is not read. */
export async function connectWith(flags: ConnectionFlags, token: string | null): Promise<SocketClient> {
  const { createSocketClient } = await socketClient();
  const socketPath = flags.socket ?? process.env.SLUICE_SOCKET ?? DEFAULT_SOCKET_PATH;
  return createSocketClient({ socketPath, token });
}

/* A flag beats the environment: --token-file, then $SLUICE_TOKEN, then $SLUICE_TOKEN_FILE, then the default file. */
function tokenFrom(flags: ConnectionFlags): string | null {
  if (flags['token-file'] === undefined && process.env.SLUICE_TOKEN) return process.env.SLUICE_TOKEN;
  const path = flags['token-file'] ?? process.env.SLUICE_TOKEN_FILE ?? DEFAULT_ADMIN_TOKEN_FILE;
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES') throw new Error(`cannot read the admin token file ${path}: run as root or set SLUICE_TOKEN`);
    if (code === 'ENOENT') throw new Error(`no admin token file at ${path}: is the agent running (it writes the file at start)? Or set SLUICE_TOKEN`);
    throw error;
  }
}
