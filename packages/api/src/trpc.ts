/*
 * tRPC set-up: the context every procedure sees, the role ladder
 * (public < viewer < operator < admin) and the mapping of Sluice errors onto
 * tRPC errors. Procedures never check roles themselves: they pick the
 * procedure builder of the role they need.
 */
import { TRPCError, initTRPC } from '@trpc/server';
import { ZodError, type z } from 'zod';
import type { SluiceBackend } from './backend.ts';
import { errorReference } from './error-reference.ts';
import { type SluiceErrorCode, type SluiceErrorDetails, SluiceError, TRPC_CODE_OF, isSluiceError } from './errors.ts';
import { type Identity, type Role, ROLE_PURPOSE, roleAllows } from './identity.ts';

export interface Context {
  /** null: no or an unknown bearer token. */
  identity: Identity | null;
  /** The bearer token itself, so auth.logout can end that session. */
  token: string | null;
  /** Where a login comes from: the browser's address the console passed on, or null (a local caller on the socket). */
  clientAddress: string | null;
  sluice: SluiceBackend;
}

export function createContext(options: { sluice: SluiceBackend; identity: Identity | null; token?: string | null; clientAddress?: string | null }): Context {
  return { sluice: options.sluice, identity: options.identity, token: options.token ?? null, clientAddress: options.clientAddress ?? null };
}

/** The Sluice code a tRPC error stands for (zod input errors are INVALID). */
export function sluiceCodeOf(error: TRPCError): SluiceErrorCode {
  if (isSluiceError(error.cause)) return error.cause.code;
  /* A ZodError under INTERNAL_SERVER_ERROR is the agent's own output failing its schema: INTERNAL, not the caller's fault. */
  if (error.code === 'BAD_REQUEST' || error.code === 'PARSE_ERROR') return 'INVALID';
  const byTrpc: Partial<Record<TRPCError['code'], SluiceErrorCode>> = {
    NOT_FOUND: 'NOT_FOUND',
    CONFLICT: 'CONFLICT',
    FORBIDDEN: 'FORBIDDEN',
    UNAUTHORIZED: 'UNAUTHENTICATED',
    UNPROCESSABLE_CONTENT: 'LIMIT_REACHED',
    TOO_MANY_REQUESTS: 'RATE_LIMITED',
    SERVICE_UNAVAILABLE: 'UNAVAILABLE',
  };
  return byTrpc[error.code] ?? 'INTERNAL';
}

/** Input validation problems as "path: message", the way the CLI prints them. */
function issuesOf(error: TRPCError): string[] | null {
  if (!(error.cause instanceof ZodError) || error.code !== 'BAD_REQUEST') return null;
  return error.cause.issues.map((issue) => `${issue.path.join('.') || '(input)'}: ${issue.message}`);
}

/**
 * True for an error nobody meant a client to read: a bug, a failed system
 * call, an output that broke its schema. Its message can name files, SQL or
 * internals, so it is replaced by a reference; a SluiceError (even INTERNAL)
 * was written for the caller and keeps its words.
 */
export function isUnexpectedError(error: TRPCError): boolean {
  return error.code === 'INTERNAL_SERVER_ERROR' && !isSluiceError(error.cause);
}

/** What a client is told of an unexpected error: that it happened, and the reference to the log line. */
export function unexpectedErrorMessage(error: TRPCError): string {
  return `unexpected error in the agent (reference ${errorReference(error)}); the agent's log has the details under that reference`;
}

const t = initTRPC.context<Context>().create({
  /*
   * Never a stack in a reply: tRPC adds data.stack whenever NODE_ENV is not
   * "production", which is how a root agent started by hand sent its file
   * paths to every browser.
   */
  isDev: false,
  errorFormatter({ shape, error }) {
    const issues = issuesOf(error);
    const { stack: _stack, ...data } = shape.data as typeof shape.data & { stack?: string };
    return {
      ...shape,
      /* Zod's message is a JSON dump; a sentence is more use to a person. */
      message: isUnexpectedError(error) ? unexpectedErrorMessage(error) : issues ? `invalid input: ${issues.join('; ')}` : shape.message,
      data: {
        ...data,
        sluiceCode: sluiceCodeOf(error),
        /* Quoted in the log beside the real message (see the socket server's onError). */
        reference: isUnexpectedError(error) ? errorReference(error) : null,
        details: (isSluiceError(error.cause) ? error.cause.details : {}) as SluiceErrorDetails,
        issues,
      },
    };
  },
});

/** A SluiceError thrown by the agent becomes the tRPC error of its code, keeping message and details. */
const mapSluiceErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && isSluiceError(result.error.cause) && result.error.code === 'INTERNAL_SERVER_ERROR') {
    const cause = result.error.cause;
    throw new TRPCError({ code: TRPC_CODE_OF[cause.code], message: cause.message, cause });
  }
  return result;
});

function requireRole(needed: Role) {
  return t.middleware(({ ctx, next, path }) => {
    if (!ctx.identity)
      throw new TRPCError({
        code: 'UNAUTHORIZED',
        message: 'no valid bearer token: log in (auth.login) or use the admin token file',
        cause: new SluiceError('UNAUTHENTICATED', 'no valid bearer token'),
      });
    if (!roleAllows(ctx.identity.role, needed))
      throw new TRPCError({
        code: 'FORBIDDEN',
        message: `${path} needs role ${needed} (${ROLE_PURPOSE[needed]}); ${ctx.identity.user} is ${ctx.identity.role}`,
        cause: new SluiceError('FORBIDDEN', `needs role ${needed}`, { needed, held: ctx.identity.role }),
      });
    return next({ ctx: { ...ctx, identity: ctx.identity } });
  });
}

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

export const publicProcedure = t.procedure.use(mapSluiceErrors);
export const viewerProcedure = publicProcedure.use(requireRole('viewer'));
export const operatorProcedure = publicProcedure.use(requireRole('operator'));
export const adminProcedure = publicProcedure.use(requireRole('admin'));

/**
 * Subscriptions: tRPC's .output() checks a resolver's return value, which
 * for a subscription is the iterable itself, so each item is checked here.
 */
export async function* validated<T>(schema: z.ZodType<T>, source: AsyncIterable<unknown>): AsyncGenerator<T, void, unknown> {
  for await (const item of source) yield schema.parse(item);
}
