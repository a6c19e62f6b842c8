/* How the CLI reaches the agent: a tRPC client on the socket, with the caller's token (credentials.ts). */
import { type SocketClient, createSocketClient } from '../server/client.js';
import { type ConnectionFlags, socketPathFrom, tokenFrom } from './credentials.js';

export type { ConnectionFlags } from './credentials.js';

/** timeoutMs: how long a call may wait for the agent's answer (default 30 s). */
export function connect(flags: ConnectionFlags, options: { timeoutMs?: number } = {}): SocketClient {
  return createSocketClient({ socketPath: socketPathFrom(flags), token: tokenFrom(flags), ...options });
}

/** The agent with a token of the caller's own (null: none), e.g. a session from a login; the token file is not read. */
export function connectWith(flags: ConnectionFlags, token: string | null): SocketClient {
  return createSocketClient({ socketPath: socketPathFrom(flags), token });
}
