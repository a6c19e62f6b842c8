/*
 * tRPC set-up: the context every procedure sees, the role ladder
 * (public < viewer < operator < admin) and the mapping of Sluice errors onto
 * tRPC errors. Procedures never check roles themselves: they pick the
 * procedure builder of the role they need.
 */
import { TRPCError, initTRPC } from '@trpc/server';
import { ZodError, z } from 'zod';
import type { SluiceBackend } from './backend.ts';
import { type SluiceErrorCode, type SluiceErrorDetails, SluiceError, TRPC_CODE_OF, isSluiceError } from './errors.ts';
import { type Identity, type Role, ROLE_PURPOSE, roleAllows } from './identity.ts';

export interface Context {
  /** null: no or an unknown bearer token. */
  identity: Identity | null;
  /** The bearer token itself, so auth.logout can end that session. */
  token: string | null;
  sluice: SluiceBackend;
}

export function createContext(options: { sluice: SluiceBackend; identity: Identity | null; token?: string | null }): Context {
  return { sluice: options.sluice, identity: options.identity, token: options.token ?? null };
}

/** The Sluice code a tRPC error stands for (zod input errors are INVALID). */
export function sluiceCodeOf(error: TRPCError): SluiceErrorCode {
  if (isSluiceError(error.cause)) return error.cause.code;
  if (error.cause instanceof ZodError || error.code === 'BAD_REQUEST' || error.code === 'PARSE_ERROR') return 'INVALID';
  const byTrpc: Partial<Record<TRPCError['code'], SluiceErrorCode>> = {
    NOT_FOUND: 'NOT_FOUND',
    CONFLICT: 'CONFLICT',
    FORBIDDEN: 'FORBIDDEN',
    UNAUTHORIZED: 'UNAUTHENTICATED',
    UNPROCESSABLE_CONTENT: 'LIMIT_REACHED',
  };
  return byTrpc[error.code] ?? 'INTERNAL';
}

/** Input validation problems as "path: message", the way the CLI prints them. */
function issuesOf(error: TRPCError): string[] | null {
  if (!(error.cause instanceof ZodError)) return null;
  return error.cause.issues.map((issue) => `${issue.path.join('.') || '(input)'}: ${issue.message}`);
}

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    const issues = issuesOf(error);
    return {
      ...shape,
      /* Zod's message is a JSON dump; a sentence is more use to a person. */
      message: issues ? `invalid input: ${issues.join('; ')}` : shape.message,
      data: {
        ...shape.data,
        sluiceCode: sluiceCodeOf(error),
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
