/*
 * The console's first admin, set from a file on first start: a fresh agent
 * has no users, and someone must be able to log in before anyone can add one.
 */
import { readFileSync } from 'node:fs';
import { passwordSchema } from '@sluice/api';
import { log } from '../log.js';
import { hashPassword } from '../store/passwords.js';
import type { Store } from '../store/store.js';

export const FIRST_ADMIN_NAME = 'admin';

/** Creates user "admin" with the file's password if the store has no users; otherwise changes nothing. */
export async function ensureFirstAdmin(store: Store, passwordFile: string): Promise<void> {
  if (store.identities.users().length > 0) {
    log('info', `users exist already; ${passwordFile} is not used`);
    return;
  }
  const password = passwordSchema.safeParse(readFileSync(passwordFile, 'utf8').trim());
  if (!password.success) throw new Error(`admin password file ${passwordFile}: ${password.error.issues[0]!.message}`);
  const passwordHash = await hashPassword(password.data);
  /* Nothing else writes users before the agent serves; checked again all the same. */
  if (store.identities.users().length > 0) return;
  store.identities.insertUser(FIRST_ADMIN_NAME, 'admin', passwordHash, Date.now());
  log('info', `first start: created console user "${FIRST_ADMIN_NAME}" (role admin) with the password from ${passwordFile}`);
}
