/*
 * Where the CLI finds the agent and its token: the socket (--socket,
 * $SLUICE_SOCKET or the default) and a bearer token (the admin token file
 * from --token-file; else $SLUICE_TOKEN; else the file from
 * $SLUICE_TOKEN_FILE or the default, readable by root only). Light on
 * purpose: `node check` uses it without the tRPC client.
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_ADMIN_TOKEN_FILE, DEFAULT_SOCKET_PATH } from '../default-paths.js';

export interface ConnectionFlags {
  socket?: string;
  'token-file'?: string;
}

export const socketPathFrom = (flags: ConnectionFlags) => flags.socket ?? process.env.SLUICE_SOCKET ?? DEFAULT_SOCKET_PATH;

/* A flag beats the environment: --token-file, then $SLUICE_TOKEN, then $SLUICE_TOKEN_FILE, then the default file. */
export function tokenFrom(flags: ConnectionFlags): string | null {
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
