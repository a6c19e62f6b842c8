import { z } from 'zod';
import { identitySchema, roleSchema } from '../identity.ts';

export const userNameSchema = z
  .string()
  .trim()
  .regex(/^[a-z_][a-z0-9_.-]{0,63}$/i, 'user name: 1-64 letters, digits, _ . - (starting with a letter or _)');

/* NIST 800-63B: length matters, composition rules do not. */
export const MIN_PASSWORD_LENGTH = 10;
export const passwordSchema = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `password must be at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(1024, 'password must be at most 1024 characters');

/* A console session lasts a working day at most; the console logs in again after. */
export const SESSION_TTL_MS = 12 * 3600 * 1000;
/* ...and ends after half an hour without a request: a console left open on a shared desk is not left logged in. */
export const SESSION_IDLE_MS = 30 * 60 * 1000;

export const loginInputSchema = z.object({ user: userNameSchema, password: z.string().max(1024) }).strict();
export const loginOutputSchema = z.object({
  /** Send as "Authorization: Bearer <token>" on later calls. */
  token: z.string(),
  user: z.string(),
  role: roleSchema,
  expiresAt: z.number().int(),
});
export type LoginResult = z.infer<typeof loginOutputSchema>;

/**
 * Where a login attempt comes from and what it replaces: the throttle
 * counts failures per user and per source; a session token presented with
 * the login is ended (a new id on every login, so a planted id is useless).
 */
export interface LoginAttempt {
  /** The browser's address (passed on by the console), or "local" for a caller on the socket. */
  source: string;
  /** The bearer token that came with the login request, if any. */
  previousToken: string | null;
}

/** Ends a login lock early (an admin who has checked the failures in the audit log). */
export const unlockLoginInputSchema = z
  .object({ user: userNameSchema.optional(), source: z.string().trim().min(1).max(64).optional() })
  .strict()
  .refine((i) => i.user !== undefined || i.source !== undefined, 'name a user, a source address, or both');
export const unlockLoginOutputSchema = z.object({
  /** Whether a lock or failure count was there to clear, for each key named. */
  user: z.boolean().nullable(),
  source: z.boolean().nullable(),
});

export const whoamiOutputSchema = identitySchema;

export const userViewSchema = z.object({
  user: z.string(),
  role: roleSchema,
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
});
export type UserView = z.infer<typeof userViewSchema>;

export const createUserInputSchema = z.object({ user: userNameSchema, password: passwordSchema, role: roleSchema }).strict();
export type CreateUserInput = z.infer<typeof createUserInputSchema>;

export const updateUserInputSchema = z.object({ user: userNameSchema, password: passwordSchema.optional(), role: roleSchema.optional() }).strict();
export type UpdateUserInput = z.infer<typeof updateUserInputSchema>;

/** Any logged-in user's own password: the current one proves it is them, not a borrowed console. */
export const changePasswordInputSchema = z.object({ currentPassword: z.string().max(1024), newPassword: passwordSchema }).strict();
export type ChangePasswordInput = z.infer<typeof changePasswordInputSchema>;
export const changePasswordOutputSchema = z.object({
  user: z.string(),
  /** The user's other sessions, ended by the change; the one that made it goes on. */
  sessionsEnded: z.number().int(),
});
export type ChangePasswordResult = z.infer<typeof changePasswordOutputSchema>;

export const deleteUserInputSchema = z.object({ user: userNameSchema }).strict();

export const tokenNameSchema = z
  .string()
  .trim()
  .regex(/^[a-z0-9_.:-]{1,64}$/i, 'token name: 1-64 letters, digits, _ . : -');

/** Never the secret: the agent keeps only its hash, and shows the secret once, at creation. */
export const tokenViewSchema = z.object({
  /** The token's id: unique, chosen at creation, what revoke takes. */
  name: z.string(),
  role: roleSchema,
  /** Who created it (null: the agent itself, or a token from before this was recorded). */
  createdBy: z.string().nullable(),
  createdAt: z.number().int(),
  lastUsedAt: z.number().int().nullable(),
});
export type TokenView = z.infer<typeof tokenViewSchema>;

export const createTokenInputSchema = z.object({ name: tokenNameSchema, role: roleSchema }).strict();
/** The secret is shown once; the agent keeps only its hash. */
export const createTokenOutputSchema = tokenViewSchema.extend({ token: z.string() });
export const revokeTokenInputSchema = z.object({ name: tokenNameSchema }).strict();

export const okSchema = z.object({ ok: z.literal(true) });
