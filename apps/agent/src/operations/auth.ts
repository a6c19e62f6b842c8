/*
 * auth.*: sessions for the console, users and API tokens for admins. Users
 * and tokens change through the identity commit (auth/identity-commit.ts):
 * a store transaction on one node, one guarded etcd transaction in a fleet.
 * Each rule is checked inside the change, on the store as the commit sees it.
 */
import { type Identity, type SluiceBackend, type UserView, conflict, invalid, notFound } from '@sluice/api';
import type { Authenticator } from '../auth/authenticator.js';
import { ADMIN_TOKEN_NAME } from '../auth/admin-token-file.js';
import type { IdentityCommit } from '../auth/identity-commit.js';
import { type Store, type UserRow, hashPassword, hashToken, newToken } from '../store/index.js';

const userView = (u: UserRow): UserView => ({ user: u.name, role: u.role, createdAt: u.createdAt, updatedAt: u.updatedAt });
const userRecord = (u: UserRow | undefined) => (u ? { user: u.name, role: u.role } : null);

export function authOperations(store: Store, authenticator: Authenticator, commit: IdentityCommit): SluiceBackend['auth'] {
  /* Identity changes touch no map: the change with its one audit entry is the whole commit. */
  const audited = <T>(caller: Identity, action: string, target: string, change: (now: number) => { result: T; before: unknown; after: unknown }) =>
    commit(caller, (now) => {
      const { result, before, after } = change(now);
      return { result, audit: [{ action, target, before, after }] };
    });

  /* The last admin keeps the console administrable; judged on the users as the commit sees them (in a fleet, guarded by the txn). */
  const refuseLastAdmin = (user: UserRow, what: string) => {
    if (user.role === 'admin' && store.identities.adminCount() === 1)
      throw conflict(`${user.name} is the last admin user; make another admin first, then ${what}`, { user: user.name });
  };

  return {
    login: (user, password, attempt) => authenticator.login(user, password, attempt),
    logout: (token) => authenticator.logout(token),
    unlockLogin: (keys, caller) => authenticator.unlock(keys, caller),

    listUsers: () => store.identities.users().map(userView),

    async createUser(input, caller) {
      /* The hash first: the check and the write below then run without a pause between them. */
      const passwordHash = await hashPassword(input.password);
      return audited(caller, 'auth.createUser', input.user, (now) => {
        if (store.identities.user(input.user)) throw conflict(`user ${input.user} already exists`, { user: input.user });
        const created = store.identities.insertUser(input.user, input.role, passwordHash, now);
        return { result: userView(created), before: null, after: { user: input.user, role: input.role } };
      });
    },

    async updateUser(input, caller) {
      /* The hash first: the checks and the write below then run without a pause between them. */
      const passwordHash = input.password ? await hashPassword(input.password) : undefined;
      return audited(caller, 'auth.updateUser', input.user, (now) => {
        const before = store.identities.user(input.user);
        if (!before) throw notFound(`no user ${input.user}`, { user: input.user });
        if (input.role && input.role !== 'admin') refuseLastAdmin(before, `change ${input.user}'s role`);
        const updated = store.identities.updateUser(input.user, { role: input.role, passwordHash }, now);
        /* A new password or role takes effect at once: sessions issued before end (in a fleet, on every node as it applies the change). */
        store.identities.deleteSessionsOf(input.user);
        return {
          result: userView(updated),
          before: userRecord(before),
          after: { user: input.user, role: updated.role, passwordChanged: !!passwordHash },
        };
      });
    },

    changePassword: (token, input, caller) => authenticator.changePassword(token, input, caller),

    async deleteUser(user, caller) {
      if (caller.source === 'session' && caller.user === user) throw invalid('you cannot delete the user you are logged in as', { user });
      await audited(caller, 'auth.deleteUser', user, () => {
        const before = store.identities.user(user);
        if (!before) throw notFound(`no user ${user}`, { user });
        refuseLastAdmin(before, `delete ${user}`);
        store.identities.deleteUser(user);
        return { result: undefined, before: userRecord(before), after: null };
      });
    },

    listTokens: () =>
      store.identities.tokens().map((t) => ({ name: t.name, role: t.role, createdBy: t.createdBy, createdAt: t.createdAt, lastUsedAt: t.lastUsedAt })),

    createToken(name, role, caller) {
      const token = newToken('slk');
      return audited(caller, 'auth.createToken', name, (now) => {
        if (store.identities.token(name)) throw conflict(`token ${name} already exists; revoke it first`, { token: name });
        const row = store.identities.putToken(name, role, hashToken(token), now, caller.user);
        return { result: { name, role, createdBy: row.createdBy, createdAt: row.createdAt, lastUsedAt: null, token }, before: null, after: { name, role } };
      });
    },

    async revokeToken(name, caller) {
      await audited(caller, 'auth.revokeToken', name, () => {
        const before = store.identities.token(name);
        if (!before) throw notFound(`no token ${name}`, { token: name });
        if (name === ADMIN_TOKEN_NAME) throw invalid(`token ${name} belongs to the admin token file; the agent re-creates it at start`, { token: name });
        store.identities.deleteToken(name);
        return { result: undefined, before: { name, role: before.role }, after: null };
      });
    },
  };
}
