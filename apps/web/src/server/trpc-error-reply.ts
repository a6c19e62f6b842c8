/*
 * Errors the console server itself raises (no session, CSRF refused, agent
 * unreachable), shaped exactly like the agent's tRPC errors, so the browser
 * has one error path: data.sluiceCode says what to do, the message says it
 * in words.
 */
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server';

/* JSON-RPC numbers tRPC puts in error.code, by tRPC code. */
const RPC_NUMBER: Partial<Record<TRPC_ERROR_CODE_KEY, number>> = {
  UNAUTHORIZED: -32001,
  FORBIDDEN: -32003,
  NOT_FOUND: -32004,
  BAD_REQUEST: -32600,
  METHOD_NOT_SUPPORTED: -32005,
  INTERNAL_SERVER_ERROR: -32603,
};

const HTTP_STATUS: Partial<Record<TRPC_ERROR_CODE_KEY, number>> = {
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BAD_REQUEST: 400,
  METHOD_NOT_SUPPORTED: 405,
  INTERNAL_SERVER_ERROR: 500,
};

/** Codes beyond the agent's own: CSRF (refused as cross-site) and AGENT_UNREACHABLE. */
export type ConsoleErrorCode = 'UNAUTHENTICATED' | 'FORBIDDEN' | 'CSRF' | 'AGENT_UNREACHABLE' | 'INVALID' | 'NOT_FOUND' | 'INTERNAL';

export interface ConsoleErrorOptions {
  /** Procedure names of the request ("a,b" when batched). */
  procedures: string[];
  batched: boolean;
  trpcCode: TRPC_ERROR_CODE_KEY;
  sluiceCode: ConsoleErrorCode;
  message: string;
  /** Overrides the HTTP status implied by trpcCode (502 for an unreachable agent). */
  httpStatus?: number;
  /** For an unexpected error: the reference to this server's log line. */
  reference?: string;
}

export function trpcErrorReply(options: ConsoleErrorOptions): Response {
  const httpStatus = options.httpStatus ?? HTTP_STATUS[options.trpcCode] ?? 500;
  const envelope = (path: string) => ({
    error: {
      message: options.message,
      code: RPC_NUMBER[options.trpcCode] ?? -32603,
      data: { code: options.trpcCode, httpStatus, path, sluiceCode: options.sluiceCode, details: {}, issues: null, reference: options.reference ?? null },
    },
  });
  const body = options.batched ? options.procedures.map(envelope) : envelope(options.procedures[0] ?? '');
  return Response.json(body, { status: httpStatus, headers: { 'cache-control': 'no-store' } });
}
