/*
 * How the CLI reaches the agent: a tRPC client on the socket, with the
 * caller's token (credentials.ts). The token file is read when the first
 * request goes out, not before: a line with a usage error, or a command that
 * needs no agent, never reads it.
 */
import type { SocketClient } from '../server/client.js';
import { type ConnectionFlags, socketPathFrom, tokenFrom } from './credentials.js';
import { noteAnswer } from './convergence.js';

export type { ConnectionFlags } from './credentials.js';

/* tRPC and the socket client load with the first command that calls the agent: --help and usage errors never load them. */
const socketClient = () => import('../server/client.js');

/** timeoutMs: how long a call may wait for the agent's answer (default 30 s). */
export async function connect(flags: ConnectionFlags, options: { timeoutMs?: number } = {}): Promise<SocketClient> {
  const { createSocketClient } = await socketClient();
  let token: string | null | undefined;
  return createSocketClient({
    socketPath: socketPathFrom(flags),
    token: () => (token === undefined ? (token = tokenFrom(flags)) : token),
    onAnswer: (answer) => noteAnswer(flags, answer),
    ...options,
  });
}

/** The agent with a token of the caller's own (null: none), e.g. a session from a login; the token file is not read. */
export async function connectWith(flags: ConnectionFlags, token: string | null): Promise<SocketClient> {
  const { createSocketClient } = await socketClient();
  return createSocketClient({ socketPath: socketPathFrom(flags), token });
}
