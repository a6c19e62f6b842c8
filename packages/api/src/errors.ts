/*
 * Errors a client can act on. The agent throws SluiceError; the tRPC layer
 * turns it into a TRPCError whose shape carries `data.sluiceCode` (and
 * `data.details`), so the console and the CLI branch on the Sluice code
 * rather than on message text.
 */
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server';

export const SLUICE_ERROR_CODES = [
  'NOT_FOUND',
  'CONFLICT',
  'INVALID',
  'FORBIDDEN',
  'LIMIT_REACHED',
  /* No identity or an expired session: log in again (FORBIDDEN means "you, but not allowed"). */
  'UNAUTHENTICATED',
  /* Too many failed logins for this user or from this address: wait details.retryAfterSeconds. */
  'RATE_LIMITED',
  /* The agent could not do it (a map write failed): nothing was changed; retrying may help. */
  'INTERNAL',
  /* A store the change must go through (the fleet's etcd) cannot be reached: nothing was changed; retry once it is back. */
  'UNAVAILABLE',
] as const;
export type SluiceErrorCode = (typeof SLUICE_ERROR_CODES)[number];

export const TRPC_CODE_OF: Record<SluiceErrorCode, TRPC_ERROR_CODE_KEY> = {
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  INVALID: 'BAD_REQUEST',
  FORBIDDEN: 'FORBIDDEN',
  LIMIT_REACHED: 'UNPROCESSABLE_CONTENT',
  UNAUTHENTICATED: 'UNAUTHORIZED',
  RATE_LIMITED: 'TOO_MANY_REQUESTS',
  INTERNAL: 'INTERNAL_SERVER_ERROR',
  UNAVAILABLE: 'SERVICE_UNAVAILABLE',
};

/** Extra facts for a client: which backend, how many active flows, which limit. */
export type SluiceErrorDetails = Record<string, string | number | boolean | null>;

export class SluiceError extends Error {
  constructor(
    readonly code: SluiceErrorCode,
    message: string,
    readonly details: SluiceErrorDetails = {},
  ) {
    super(message);
    this.name = 'SluiceError';
  }
}

export function isSluiceError(error: unknown): error is SluiceError {
  /* By name as well: two copies of this module (bundled console, tests) must still agree. */
  return error instanceof SluiceError || (error instanceof Error && error.name === 'SluiceError' && 'code' in error);
}

export const notFound = (message: string, details?: SluiceErrorDetails) => new SluiceError('NOT_FOUND', message, details);
export const conflict = (message: string, details?: SluiceErrorDetails) => new SluiceError('CONFLICT', message, details);
export const invalid = (message: string, details?: SluiceErrorDetails) => new SluiceError('INVALID', message, details);
export const unavailable = (message: string, details?: SluiceErrorDetails) => new SluiceError('UNAVAILABLE', message, details);
export const limitReached = (message: string, details?: SluiceErrorDetails) => new SluiceError('LIMIT_REACHED', message, details);
