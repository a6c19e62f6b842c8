/* auth.*: sessions for the console, users and API tokens for admins. */
import { type SluiceBackend, type UserView, conflict, invalid, notFound } from '@sluice/api';
import type { Authenticator } from '../auth/authenticator.js';
import { ADMIN_TOKEN_NAME } from '../auth/admin-token-file.js';
import { type Store, type UserRow, hashPassword, hashToken, newToken } from '../store/index.js';

const userView = (u: UserRow): UserView => ({ user: u.name, role: u.role, createdAt: u.createdAt, updatedAt: u.updatedAt });
const userRecord = (u: UserRow | undefined) => (u ? { user: u.name, role: u.role } : null);

export function authOperations(store: Store, authenticator: Authenticator): SluiceBackend['auth'] {
  /* Identity changes touch no map: a store transaction with its audit row is the whole commit. */
  const audited = (
    caller: Parameters<typeof store.audit.append>[0],
    action: string,
    target: string,
    before: unknown,
    after: unknown,
    change: (now: number) => void,
  ) =>
    store.transaction(() => {
      const now = Date.now();
      change(now);
      store.audit.append(caller, { action, target, before, after }, now);
    });

  return {
    login: (user, password, attempt) => authenticator.login(user, password, attempt),
    logout: (token) => authenticator.logout(token),
    unlockLogin: (keys, caller) => authenticator.unlock(keys, caller),

    listUsers: () => store.identities.users().map(userView),

    async createUser(input, caller) {
      /* The hash first: the check and the write below then run without a pause between them. */
      const passwordHash = await hashPassword(input.password);
      if (store.identities.user(input.user)) throw conflict(`user ${input.user} already exists`, { user: input.user });
      audited(caller, 'auth.createUser', input.user, null, { user: input.user, role: input.role }, (now) =>
        store.identities.insertUser(input.user, input.role, passwordHash, now),
      );
      return userView(store.identities.user(input.user)!);
    },

    async updateUser(input, caller) {
      /* The hash first: the checks and the write below then run without a pause between them. */
      const passwordHash = input.password ? await hashPassword(input.password) : undefined;
      const before = store.identities.user(input.user);
      if (!before) throw notFound(`no user ${input.user}`, { user: input.user });
      if (before.role === 'admin' && input.role && input.role !== 'admin' && store.identities.adminCount() === 1)
        throw conflict(`${input.user} is the last admin user; make another admin first`, { user: input.user });
      audited(
        caller,
        'auth.updateUser',
        input.user,
        userRecord(before),
        { user: input.user, role: input.role ?? before.role, passwordChanged: !!passwordHash },
        (now) => {
          store.identities.updateUser(input.user, { role: input.role, passwordHash }, now);
          /* A new password or role takes effect at once: sessions issued before end. */
          store.identities.deleteSessionsOf(input.user);
        },
      );
      return userView(store.identities.user(input.user)!);
    },

    changePassword: (token, input, caller) => authenticator.changePassword(token, input, caller),

    deleteUser(user, caller) {
      const before = store.identities.user(user);
      if (!before) throw notFound(`no user ${user}`, { user });
      if (caller.source === 'session' && caller.user === user) throw invalid('you cannot delete the user you are logged in as', { user });
      audited(caller, 'auth.deleteUser', user, userRecord(before), null, () => store.identities.deleteUser(user));
    },

    listTokens: () =>
      store.identities.tokens().map((t) => ({ name: t.name, role: t.role, createdBy: t.createdBy, createdAt: t.createdAt, lastUsedAt: t.lastUsedAt })),

    createToken(name, role, caller) {
      if (store.identities.token(name)) throw conflict(`token ${name} already exists; revoke it first`, { token: name });
      const token = newToken('slk');
      audited(caller, 'auth.createToken', name, null, { name, role }, (now) => store.identities.putToken(name, role, hashToken(token), now, caller.user));
      const row = store.identities.token(name)!;
      return { name, role, createdBy: row.createdBy, createdAt: row.createdAt, lastUsedAt: null, token };
    },

    revokeToken(name, caller) {
      const before = store.identities.token(name);
      if (!before) throw notFound(`no token ${name}`, { token: name });
      if (name === ADMIN_TOKEN_NAME) throw invalid(`token ${name} belongs to the admin token file; the agent re-creates it at start`, { token: name });
      audited(caller, 'auth.revokeToken', name, { name, role: before.role }, null, () => store.identities.deleteToken(name));
    },
  };
}
