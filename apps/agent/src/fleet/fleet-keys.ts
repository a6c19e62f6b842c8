/*
 * The fleet's keys in etcd, under one prefix with the layout's version in it
 * (a later layout goes under /sluice/v2/ beside this one, never over it).
 *
 *   desired/services/NAME   one JSON document per service with its backends (service-document.ts):
 *                           a service change is one key, so one compare guards it
 *   desired/users/NAME      one per console user: role, scrypt password hash, created/updated (identity-documents.ts)
 *   desired/tokens/NAME     one per API token: role, SHA-256 of the token, created by/at; never the
 *                           admin token file's token ("root"), which each node keeps for itself
 *   desired/head            touched by every change: its mod_revision is the fleet's desired revision R
 *   desired/audit/ID        the audit entries of the changes, written in the same transaction
 *   compat                  what every node must share to pick the same backend (compat-record.ts)
 *   nodes/NAME              each node's registration, under its lease (gone when the node is)
 *   health/checker          the name of the node that checks the backends, under its lease (fleet-health.ts)
 *   health/backends/SERVICE/ENDPOINT   the checker's published up/down of one backend
 *
 * Nodes watch desired/ only: their registrations' renewals never wake them.
 */
export const FLEET_PREFIX = '/sluice/v1/';
export const DESIRED_PREFIX = `${FLEET_PREFIX}desired/`;
export const SERVICES_PREFIX = `${DESIRED_PREFIX}services/`;
export const USERS_PREFIX = `${DESIRED_PREFIX}users/`;
export const TOKENS_PREFIX = `${DESIRED_PREFIX}tokens/`;
export const AUDIT_PREFIX = `${DESIRED_PREFIX}audit/`;
export const HEAD_KEY = `${DESIRED_PREFIX}head`;
export const COMPAT_KEY = `${FLEET_PREFIX}compat`;
export const NODES_PREFIX = `${FLEET_PREFIX}nodes/`;

export const HEALTH_PREFIX = `${FLEET_PREFIX}health/`;
export const CHECKER_KEY = `${HEALTH_PREFIX}checker`;
export const HEALTH_RESULTS_PREFIX = `${HEALTH_PREFIX}backends/`;

export const serviceKey = (name: string) => `${SERVICES_PREFIX}${name}`;
export const userKey = (name: string) => `${USERS_PREFIX}${name}`;
export const tokenKey = (name: string) => `${TOKENS_PREFIX}${name}`;
export const nodeKey = (node: string) => `${NODES_PREFIX}${node}`;
export const healthResultKey = (service: string, endpoint: string) => `${HEALTH_RESULTS_PREFIX}${service}/${endpoint}`;

/** What a key under desired/ is: a service, user or token (its name), an audit entry (its id), the head, or something this layout does not know. */
export type DesiredKey = { kind: 'service' | 'user' | 'token'; name: string } | { kind: 'audit'; id: string } | { kind: 'head' } | { kind: 'unknown' };

export function desiredKeyOf(key: string): DesiredKey {
  if (key.startsWith(SERVICES_PREFIX)) return { kind: 'service', name: key.slice(SERVICES_PREFIX.length) };
  if (key.startsWith(USERS_PREFIX)) return { kind: 'user', name: key.slice(USERS_PREFIX.length) };
  if (key.startsWith(TOKENS_PREFIX)) return { kind: 'token', name: key.slice(TOKENS_PREFIX.length) };
  if (key.startsWith(AUDIT_PREFIX)) return { kind: 'audit', id: key.slice(AUDIT_PREFIX.length) };
  if (key === HEAD_KEY) return { kind: 'head' };
  return { kind: 'unknown' };
}
