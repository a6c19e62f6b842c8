/*
 * The console's first admin, set from a file on first start: a fresh agent
 * has no users, and someone must be able to log in before anyone can add one.
 * In a fleet the users are shared, so it is created only while the fleet has
 * no user at all (create-if-absent, guarded by the commit): of two nodes
 * starting at once one creates it, the other finds it there.
 */
import { readFileSync } from 'node:fs';
import { type Identity, SYSTEM_ACTOR_NAME, isSluiceError, passwordSchema } from '@sluice/api';
import { log } from '../log.js';
import { hashPassword } from '../store/passwords.js';
import type { Store } from '../store/store.js';
import { type IdentityCommit, localIdentityCommit } from './identity-commit.js';

export const FIRST_ADMIN_NAME = 'admin';

const SYSTEM: Identity = { user: SYSTEM_ACTOR_NAME, role: 'admin', source: 'token' };

/** Creates user "admin" with the file's password if there are no users; otherwise changes nothing. */
export async function ensureFirstAdmin(store: Store, passwordFile: string, commit: IdentityCommit = localIdentityCommit(store)): Promise<void> {
  if (store.identities.users().length > 0) {
    log('info', `users exist already; ${passwordFile} is not used`);
    return;
  }
  const password = passwordSchema.safeParse(readFileSync(passwordFile, 'utf8').trim());
  if (!password.success) throw new Error(`admin password file ${passwordFile}: ${password.error.issues[0]!.message}`);
  const passwordHash = await hashPassword(password.data);
  let created: boolean;
  try {
    /* Checked again inside the commit: the hash took a while, and in a fleet another node may have been quicker. */
    created = await commit(
      SYSTEM,
      (now) => {
        if (store.identities.users().length > 0) return { result: false, audit: [] };
        store.identities.insertUser(FIRST_ADMIN_NAME, 'admin', passwordHash, now);
        return { result: true, audit: [] };
      },
      { onlyIfNoUsers: true },
    );
  } catch (error) {
    /* A fleet that has users by now, or cannot be reached: the agent serves all the same (the admin token file works). */
    if (!isSluiceError(error) || (error.code !== 'CONFLICT' && error.code !== 'UNAVAILABLE')) throw error;
    log(
      error.code === 'CONFLICT' ? 'info' : 'warn',
      error.code === 'CONFLICT'
        ? `first start: another node created the fleet's first user meanwhile; ${passwordFile} is not used`
        : `first start: console user "${FIRST_ADMIN_NAME}" not created (${error.message}); start again once the fleet store is back`,
    );
    return;
  }
  if (created) log('info', `first start: created console user "${FIRST_ADMIN_NAME}" (role admin) with the password from ${passwordFile}`);
}
