/*
 * Users and API tokens as the fleet stores them: one JSON document per user
 * and per token, the name in the key. Only hashes travel (the scrypt hash of
 * a password, the SHA-256 of a token), as SQLite holds them. What is per node
 * stays out: sessions, a token's last use, and the admin token file's token
 * (ADMIN_TOKEN_NAME), which grants root on its own node only, so a document
 * under that name is refused (a writer other than Sluice put it there).
 * Checked with zod on the way in, like a service document: refused by name,
 * never half applied.
 */
import { roleSchema, tokenNameSchema, userNameSchema } from '@sluice/api';
import { z } from 'zod';
import { ADMIN_TOKEN_NAME } from '../auth/admin-token-file.js';
import type { TokenRow, UserRow } from '../store/index.js';
import { parseDocument } from './document-json.js';

/** A token as the fleet shares it: its last use is each node's own. */
export type FleetToken = Omit<TokenRow, 'lastUsedAt'>;

const time = z.number().int().nonnegative();

const userDocumentSchema = z
  .object({
    role: roleSchema,
    /* scrypt$N$r$p$salt$key (store/passwords.ts): anything else could never match a password. */
    passwordHash: z.string().regex(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/, 'not an scrypt password hash'),
    createdAt: time,
    updatedAt: time,
  })
  .strict();

const tokenDocumentSchema = z
  .object({
    role: roleSchema,
    tokenHash: z.string().regex(/^[0-9a-f]{64}$/, 'not a SHA-256 token hash'),
    createdBy: z.string().nullable(),
    createdAt: time,
  })
  .strict();

function checkedName(what: string, schema: z.ZodType<string>, name: string): void {
  const result = schema.safeParse(name);
  if (!result.success || result.data !== name)
    throw new Error(`fleet key of ${what}: ${result.success ? 'has spaces around it' : result.error.issues[0]!.message}`);
}

/** The user under key `name`; throws naming the user and the first problems. */
export function parseUserDocument(name: string, text: string): UserRow {
  checkedName(`user ${name}`, userNameSchema, name);
  return { name, ...parseDocument(`user ${name}`, userDocumentSchema, text) };
}

/** The token under key `name`; throws naming the token and the first problems. */
export function parseTokenDocument(name: string, text: string): FleetToken {
  checkedName(`token ${name}`, tokenNameSchema, name);
  if (name === ADMIN_TOKEN_NAME)
    throw new Error(`fleet document of token ${name}: that name belongs to each node's admin token file and is never shared; delete the key`);
  return { name, ...parseDocument(`token ${name}`, tokenDocumentSchema, text) };
}

export const userDocumentText = (user: UserRow): string =>
  JSON.stringify(userDocumentSchema.parse({ role: user.role, passwordHash: user.passwordHash, createdAt: user.createdAt, updatedAt: user.updatedAt }));

export function tokenDocumentText(token: FleetToken): string {
  if (token.name === ADMIN_TOKEN_NAME) throw new Error(`token ${token.name} belongs to this node's admin token file: it is never written to the fleet`);
  return JSON.stringify(tokenDocumentSchema.parse({ role: token.role, tokenHash: token.tokenHash, createdBy: token.createdBy, createdAt: token.createdAt }));
}
