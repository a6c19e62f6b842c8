/*
 * The admin token file: how root (the CLI) authenticates. The agent writes
 * it on first start, mode 0600, and registers its hash as the API token
 * "root". If the file exists (a restart, or a wiped data directory), its
 * token is registered again, so the file is the one source of truth.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Store } from '../store/index.js';
import { hashToken, newToken } from '../store/index.js';

export const ADMIN_TOKEN_NAME = 'root';

export function ensureAdminTokenFile(path: string, store: Store): void {
  let token: string;
  if (existsSync(path)) {
    token = readFileSync(path, 'utf8').trim();
    chmodSync(path, 0o600);
  } else {
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    token = newToken('slk');
    /* 'wx': never overwrite a file someone else created meanwhile. */
    writeFileSync(path, `${token}\n`, { mode: 0o600, flag: 'wx' });
  }
  const hash = hashToken(token);
  if (store.identities.token(ADMIN_TOKEN_NAME)?.tokenHash !== hash) store.identities.putToken(ADMIN_TOKEN_NAME, 'admin', hash, Date.now());
}

export function readAdminToken(path: string): string {
  return readFileSync(path, 'utf8').trim();
}
