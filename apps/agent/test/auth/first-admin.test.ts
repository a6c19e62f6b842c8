// The console's first admin, set from a file on first start.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ensureFirstAdmin } from '../../src/auth/first-admin.js';
import { verifyPassword } from '../../src/store/passwords.js';
import { Store } from '../../src/store/store.js';

function passwordFile(password: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'sluice-first-admin-')), 'password');
  writeFileSync(path, `${password}\n`, { mode: 0o600 });
  return path;
}

test('an empty store gets user admin with the password from the file', async () => {
  const store = new Store(':memory:');
  await ensureFirstAdmin(store, passwordFile('correct horse battery'));
  const admin = store.identities.user('admin');
  assert.equal(admin?.role, 'admin');
  assert.ok(await verifyPassword('correct horse battery', admin!.passwordHash));
});

test('once users exist, the file changes nothing', async () => {
  const store = new Store(':memory:');
  await ensureFirstAdmin(store, passwordFile('first password here'));
  const before = JSON.stringify(store.identities.users());
  await ensureFirstAdmin(store, passwordFile('another password here'));
  assert.equal(JSON.stringify(store.identities.users()), before);
});

test('a password that is too short is refused and no user is created', async () => {
  const store = new Store(':memory:');
  await assert.rejects(() => ensureFirstAdmin(store, passwordFile('short')), /at least/);
  assert.equal(store.identities.users().length, 0);
});
