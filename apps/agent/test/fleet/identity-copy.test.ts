// Users and API tokens between a node's SQLite copy and the fleet (issue 16),
// without etcd: what a change did (the tables' difference, and the keys a
// rule was judged on), what applying a list or a delivery does to the copy
// and its sessions, and which documents are refused by name.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ADMIN_TOKEN_NAME } from '../../src/auth/admin-token-file.js';
import { readDocument, emptyBatch, documentTexts } from '../../src/fleet/desired-batch.js';
import { tokenKey, userKey } from '../../src/fleet/fleet-keys.js';
import { applyIdentities, identityChanges, identitySnapshot } from '../../src/fleet/identity-copy.js';
import { parseTokenDocument, parseUserDocument, tokenDocumentText, userDocumentText } from '../../src/fleet/identity-documents.js';
import { Store, type UserRow } from '../../src/store/index.js';

/* A well-formed scrypt hash (the tests never verify a password against it). */
const HASH_A = 'scrypt$32768$8$1$c2FsdHNhbHRzYWx0c2FsdA==$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U=';
const HASH_B = 'scrypt$32768$8$1$b3RoZXJzYWx0b3RoZXI=$b3RoZXJrZXlvdGhlcmtleW90aGVya2V5b3RoZXI=';
const TOKEN_HASH = 'ab'.repeat(32);
const OTHER_TOKEN_HASH = 'cd'.repeat(32);

function storeWith(users: [string, UserRow['role']][]): Store {
  const store = new Store(':memory:');
  for (const [name, role] of users) store.identities.insertUser(name, role, HASH_A, 1000);
  store.identities.putToken(ADMIN_TOKEN_NAME, 'admin', 'ee'.repeat(32), 1000);
  return store;
}

const noKeep = () => undefined;

describe('what a change did, for the fleet write', () => {
  test("a created user and a created token, but neither the admin token file's token nor a token's last use", () => {
    const store = storeWith([['ann', 'admin']]);
    store.identities.putToken('ci', 'operator', TOKEN_HASH, 1000, 'ann');
    const before = identitySnapshot(store);
    store.identities.insertUser('olga', 'operator', HASH_B, 2000);
    store.identities.touchToken('ci', 3000);
    store.identities.putToken(ADMIN_TOKEN_NAME, 'admin', 'ff'.repeat(32), 3000);
    store.identities.putToken('deploy', 'viewer', OTHER_TOKEN_HASH, 3000, 'ann');
    const changes = identityChanges(before, identitySnapshot(store));
    assert.deepEqual([...changes.users.keys()], ['olga']);
    assert.deepEqual(changes.users.get('olga'), { name: 'olga', role: 'operator', passwordHash: HASH_B, createdAt: 2000, updatedAt: 2000 });
    assert.deepEqual(
      [...changes.tokens.entries()],
      [['deploy', { name: 'deploy', role: 'viewer', tokenHash: OTHER_TOKEN_HASH, createdBy: 'ann', createdAt: 3000 }]],
    );
    assert.deepEqual(changes.judgedOn, [], 'no admin went');
  });

  test('a deleted user is undefined; taking an admin away is judged on every other admin', () => {
    const store = storeWith([
      ['ann', 'admin'],
      ['bob', 'admin'],
      ['cid', 'admin'],
      ['dan', 'viewer'],
    ]);
    const before = identitySnapshot(store);
    store.identities.deleteUser('dan');
    assert.deepEqual(identityChanges(before, identitySnapshot(store)), { users: new Map([['dan', undefined]]), tokens: new Map(), judgedOn: [] });
    store.identities.updateUser('bob', { role: 'operator' }, 2000);
    const demoted = identityChanges(before, identitySnapshot(store));
    assert.deepEqual(demoted.judgedOn, [userKey('ann'), userKey('cid')]);
    store.identities.updateUser('bob', { role: 'admin' }, 3000);
    store.identities.deleteUser('cid');
    /* bob is written (its updated time moved), so its key guards the write as a written one; ann only as judged on. */
    const deleted = identityChanges(before, identitySnapshot(store));
    assert.deepEqual([...deleted.users.keys()].sort(), ['bob', 'cid', 'dan']);
    assert.deepEqual(deleted.judgedOn, [userKey('ann')]);
  });
});

describe('applying the fleet to the copy', () => {
  test("a list deletes the users and tokens it lacks, never the admin token file's token", () => {
    const store = storeWith([
      ['ann', 'admin'],
      ['old', 'viewer'],
    ]);
    store.identities.putToken('gone', 'viewer', OTHER_TOKEN_HASH, 1000);
    const ann = store.identities.user('ann')!;
    applyIdentities(store, { users: new Map([['ann', ann]]), tokens: new Map() }, { whole: true, keep: noKeep });
    assert.deepEqual(
      store.identities.users().map((u) => u.name),
      ['ann'],
    );
    assert.deepEqual(
      store.identities.tokens().map((t) => t.name),
      [ADMIN_TOKEN_NAME],
    );
  });

  test("a new password hash or role ends the user's sessions here (but the kept one); the same document ends none", () => {
    const store = storeWith([['olga', 'operator']]);
    const session = (hash: string) => store.identities.insertSession(hash, 'olga', 1000, 10_000_000_000_000);
    const alive = () => ['s1', 's2'].filter((h) => store.identities.session(h, 2000) !== undefined);
    session('s1');
    session('s2');
    const olga = store.identities.user('olga')!;
    applyIdentities(store, { users: new Map([['olga', { ...olga }]]), tokens: new Map() }, { whole: false, keep: noKeep });
    assert.deepEqual(alive(), ['s1', 's2'], 'the same document');
    applyIdentities(
      store,
      { users: new Map([['olga', { ...olga, passwordHash: HASH_B, updatedAt: 2000 }]]), tokens: new Map() },
      { whole: false, keep: () => 's2' },
    );
    assert.deepEqual(alive(), ['s2'], 'a new password: the kept session stays');
    applyIdentities(store, { users: new Map([['olga', { ...olga, role: 'viewer', updatedAt: 3000 }]]), tokens: new Map() }, { whole: false, keep: noKeep });
    assert.deepEqual(alive(), [], 'a new role');
    assert.equal(store.identities.user('olga')?.role, 'viewer');
    session('s1');
    applyIdentities(store, { users: new Map([['olga', undefined]]), tokens: new Map() }, { whole: false, keep: noKeep });
    assert.equal(store.identities.user('olga'), undefined);
    assert.deepEqual(alive(), [], 'deleted');
  });

  test("a token's last use here stays while the fleet's token is the same one, and is cleared for a new one", () => {
    const store = storeWith([]);
    const ci = { name: 'ci', role: 'operator' as const, tokenHash: TOKEN_HASH, createdBy: 'ann', createdAt: 1000 };
    applyIdentities(store, { users: new Map(), tokens: new Map([['ci', ci]]) }, { whole: false, keep: noKeep });
    store.identities.touchToken('ci', 5000);
    applyIdentities(store, { users: new Map(), tokens: new Map([['ci', { ...ci, role: 'viewer' }]]) }, { whole: false, keep: noKeep });
    assert.deepEqual(store.identities.token('ci'), { ...ci, role: 'viewer', lastUsedAt: 5000 });
    applyIdentities(store, { users: new Map(), tokens: new Map([['ci', { ...ci, tokenHash: OTHER_TOKEN_HASH }]]) }, { whole: false, keep: noKeep });
    assert.equal(store.identities.token('ci')?.lastUsedAt, null);
  });
});

describe('documents', () => {
  test('a user and a token go to their keys and come back the same', () => {
    const batch = emptyBatch();
    const user: UserRow = { name: 'olga', role: 'operator', passwordHash: HASH_A, createdAt: 1, updatedAt: 2 };
    const token = { name: 'ci', role: 'viewer' as const, tokenHash: TOKEN_HASH, createdBy: null, createdAt: 3 };
    batch.users.set('olga', user);
    batch.tokens.set('ci', token);
    batch.users.set('gone', undefined);
    const texts = documentTexts(batch);
    assert.deepEqual([...texts.keys()], [userKey('olga'), userKey('gone'), tokenKey('ci')]);
    assert.equal(texts.get(userKey('gone')), undefined);
    assert.deepEqual(JSON.parse(texts.get(userKey('olga'))!), { role: 'operator', passwordHash: HASH_A, createdAt: 1, updatedAt: 2 });
    const back = emptyBatch();
    for (const [key, text] of texts) assert.ok(readDocument(back, key, text));
    assert.deepEqual(back.users.get('olga'), user);
    assert.deepEqual(back.tokens.get('ci'), token);
  });

  test("refused by name: the admin token file's token, a hash that is not one, a bad name, an unknown field", () => {
    const ok = tokenDocumentText({ name: 'ci', role: 'viewer', tokenHash: TOKEN_HASH, createdBy: null, createdAt: 3 });
    assert.throws(() => parseTokenDocument(ADMIN_TOKEN_NAME, ok), /token root: that name belongs to each node's admin token file/);
    assert.throws(
      () => tokenDocumentText({ name: ADMIN_TOKEN_NAME, role: 'admin', tokenHash: TOKEN_HASH, createdBy: null, createdAt: 3 }),
      /never written to the fleet/,
    );
    assert.throws(() => parseTokenDocument('ci', ok.replace(TOKEN_HASH, 'secret')), /token ci: tokenHash: not a SHA-256 token hash/);
    const user = userDocumentText({ name: 'olga', role: 'operator', passwordHash: HASH_A, createdAt: 1, updatedAt: 2 });
    assert.throws(() => parseUserDocument('olga', user.replace(HASH_A, 'plain text password')), /user olga: passwordHash: not an scrypt password hash/);
    assert.throws(() => parseUserDocument('bad name', user), /fleet key of user bad name: user name/);
    assert.throws(() => parseUserDocument('olga', JSON.stringify({ ...JSON.parse(user), password: 'x' })), /user olga: \(root\): Unrecognized key/);
    assert.throws(() => parseUserDocument('olga', '{'), /fleet document of user olga is not JSON/);
  });
});
