/* Who is calling and what they may do. Roles are ordered: each includes the ones before it. */
import { z } from 'zod';

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const roleSchema = z.enum(ROLES);

/**
 * The browser's address, as the console server passes it on with a login
 * (the agent's own peer is always the console on the unix socket). The
 * agent throttles failed logins per user and per this address.
 */
export const CLIENT_ADDRESS_HEADER = 'x-sluice-client-address';

/** How the caller proved who they are. */
export const IDENTITY_SOURCES = ['token', 'session'] as const;

export const identitySchema = z.object({
  user: z.string(),
  role: roleSchema,
  source: z.enum(IDENTITY_SOURCES),
});
export type Identity = z.infer<typeof identitySchema>;

export function roleAllows(held: Role, needed: Role): boolean {
  return ROLES.indexOf(held) >= ROLES.indexOf(needed);
}

/** What each role is for, as the README and error messages state it. */
export const ROLE_PURPOSE: Record<Role, string> = {
  viewer: 'read state, stats, health and the audit log',
  operator: 'also change backends: add, reweight, drain, maintenance, remove',
  admin: 'also change services, users, tokens and import configuration',
};
