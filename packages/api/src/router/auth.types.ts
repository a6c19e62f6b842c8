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

export const loginInputSchema = z.object({ user: userNameSchema, password: z.string().max(1024) }).strict();
export const loginOutputSchema = z.object({
  /** Send as "Authorization: Bearer <token>" on later calls. */
  token: z.string(),
  user: z.string(),
  role: roleSchema,
  expiresAt: z.number().int(),
});
export type LoginResult = z.infer<typeof loginOutputSchema>;

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

export const updateUserInputSchema = z
  .object({ user: userNameSchema, password: passwordSchema.optional(), role: roleSchema.optional() })
  .strict();
export type UpdateUserInput = z.infer<typeof updateUserInputSchema>;

export const deleteUserInputSchema = z.object({ user: userNameSchema }).strict();

export const tokenNameSchema = z
  .string()
  .trim()
  .regex(/^[a-z0-9_.:-]{1,64}$/i, 'token name: 1-64 letters, digits, _ . : -');

export const tokenViewSchema = z.object({
  name: z.string(),
  role: roleSchema,
  createdAt: z.number().int(),
  lastUsedAt: z.number().int().nullable(),
});
export type TokenView = z.infer<typeof tokenViewSchema>;

export const createTokenInputSchema = z.object({ name: tokenNameSchema, role: roleSchema }).strict();
/** The secret is shown once; the agent keeps only its hash. */
export const createTokenOutputSchema = tokenViewSchema.extend({ token: z.string() });
export const revokeTokenInputSchema = z.object({ name: tokenNameSchema }).strict();

export const okSchema = z.object({ ok: z.literal(true) });
