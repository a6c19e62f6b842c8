/*
 * Users and API tokens between this node's SQLite copy and the fleet.
 *
 * Out: what a change did to them is the difference of the tables before and
 * after its dry run (so the operations write the store as on one node), plus
 * the keys a rule was judged on: a change that takes an admin away (demoted
 * or deleted) was judged "not the last admin" on every admin there was, so
 * its write is guarded by all their keys. Two nodes each demoting another of
 * the last two admins then cannot both win.
 *
 * In: a list (the whole state: what it lacks goes) or a watch delivery,
 * applied to the copy. A user whose password hash or role changed, or who
 * was deleted, loses its sessions on this node (sessions are per node: a
 * console session is with one node). The admin token file's token
 * (ADMIN_TOKEN_NAME) is this node's own: the fleet neither writes nor removes it.
 */
import { ADMIN_TOKEN_NAME } from '../auth/admin-token-file.js';
import type { Store, TokenRow, UserRow } from '../store/index.js';
import type { DesiredBatch } from './desired-batch.js';
import { userKey } from './fleet-keys.js';
import type { FleetToken } from './identity-documents.js';

export interface IdentitySnapshot {
  users: UserRow[];
  tokens: TokenRow[];
}

export const identitySnapshot = (store: Store): IdentitySnapshot => ({ users: store.identities.users(), tokens: store.identities.tokens() });

export interface IdentityChanges {
  users: Map<string, UserRow | undefined>;
  tokens: Map<string, FleetToken | undefined>;
  /** Keys the change did not write but was judged on (the admins, when one goes). */
  judgedOn: string[];
}

const sameUser = (a: UserRow, b: UserRow) =>
  a.role === b.role && a.passwordHash === b.passwordHash && a.createdAt === b.createdAt && a.updatedAt === b.updatedAt;
const sameToken = (a: FleetToken, b: FleetToken) =>
  a.role === b.role && a.tokenHash === b.tokenHash && a.createdBy === b.createdBy && a.createdAt === b.createdAt;
const sharedToken = ({ lastUsedAt: _, ...token }: TokenRow): FleetToken => token;

/** Every entry of `after` that differs from `before`, and every one `after` lacks (undefined). */
function differences<T extends { name: string }>(before: T[], after: T[], same: (a: T, b: T) => boolean): Map<string, T | undefined> {
  const was = new Map(before.map((row) => [row.name, row]));
  const changed = new Map<string, T | undefined>();
  for (const row of after) {
    const old = was.get(row.name);
    was.delete(row.name);
    if (!old || !same(old, row)) changed.set(row.name, row);
  }
  for (const name of was.keys()) changed.set(name, undefined);
  return changed;
}

/** What a change did to users and tokens (the admin token file's token left out: it is never shared). */
export function identityChanges(before: IdentitySnapshot, after: IdentitySnapshot): IdentityChanges {
  const users = differences(before.users, after.users, sameUser);
  const shared = (tokens: TokenRow[]) => tokens.filter((t) => t.name !== ADMIN_TOKEN_NAME).map(sharedToken);
  const tokens = differences(shared(before.tokens), shared(after.tokens), sameToken);
  const admins = before.users.filter((u) => u.role === 'admin');
  const adminGoes = admins.some((u) => users.has(u.name) && users.get(u.name)?.role !== 'admin');
  const judgedOn = adminGoes ? admins.filter((u) => !users.has(u.name)).map((u) => userKey(u.name)) : [];
  return { users, tokens, judgedOn };
}

export interface ApplyIdentitiesOptions {
  /** A list: users and tokens the batch lacks are deleted (never the admin token file's). */
  whole: boolean;
  /** The session of `user` that stays: the one that changed its own password on this node. */
  keep: (user: string) => string | undefined;
}

/** Applies users and tokens from the fleet to the copy (inside the caller's transaction). */
export function applyIdentities(store: Store, batch: Pick<DesiredBatch, 'users' | 'tokens'>, options: ApplyIdentitiesOptions): void {
  const ids = store.identities;
  const users = new Map(batch.users);
  const tokens = new Map(batch.tokens);
  if (options.whole) {
    for (const user of ids.users()) if (!users.has(user.name)) users.set(user.name, undefined);
    for (const token of ids.tokens()) if (token.name !== ADMIN_TOKEN_NAME && !tokens.has(token.name)) tokens.set(token.name, undefined);
  }
  const endSessions = (user: string) => {
    const kept = options.keep(user);
    if (kept) ids.deleteSessionsOfExcept(user, kept);
    else ids.deleteSessionsOf(user);
  };
  for (const [name, user] of users) {
    const before = ids.user(name);
    if (!user) {
      if (!before) continue;
      ids.deleteSessionsOf(name);
      ids.deleteUser(name);
      continue;
    }
    if (before && sameUser(before, user)) continue;
    ids.putUser(user);
    if (before && (before.passwordHash !== user.passwordHash || before.role !== user.role)) endSessions(name);
  }
  for (const [name, token] of tokens) {
    /* Never the node's own: a document under that name is refused when it is read (identity-documents.ts). */
    if (name === ADMIN_TOKEN_NAME) continue;
    if (!token) ids.deleteToken(name);
    else ids.putSharedToken(token);
  }
}
