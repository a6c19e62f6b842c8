// The SQLite store on its own: WAL in the data directory, migrations,
// password and token hashing, audit paging, and transactions that roll back.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { defaultHealthCheck } from '@sluice/api';
import Database from 'better-sqlite3';
import { DATABASE_FILE, Store, hashPassword, hashToken, newToken, verifyPassword } from '../../src/store/index.js';
import { MIGRATIONS } from '../../src/store/migrations.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-store-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const WEB = {
  address: '198.18.100.1',
  port: 80,
  protocol: 'tcp' as const,
  algorithm: 'maglev' as const,
  mode: 'nat' as const,
  healthCheck: defaultHealthCheck('tcp'),
};

test('opens in WAL mode, root-only, at the current schema version; reopening keeps the data', () => {
  const dataDir = join(dir, 'a');
  const store = new Store(dataDir);
  assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(store.db.pragma('user_version', { simple: true }), MIGRATIONS.length);
  assert.equal(statSync(join(dataDir, DATABASE_FILE)).mode & 0o777, 0o600);
  assert.equal(statSync(dataDir).mode & 0o777, 0o700);
  const service = store.services.insert(WEB, 1000);
  store.services.insertBackend(service, { address: '198.19.1.2', port: 8080, weight: 2, state: 'ready' }, 1000);
  store.close();
  const again = new Store(dataDir);
  assert.deepEqual(
    { services: again.services.desired() },
    {
      services: [
        {
          address: '198.18.100.1',
          port: 80,
          protocol: 'tcp',
          algorithm: 'maglev',
          mode: 'nat',
          clientRate: 0,
          backends: [{ address: '198.19.1.2', port: 8080, weight: 2, state: 'ready' }],
        },
      ],
    },
  );
  assert.equal(again.exportConfig().services[0]?.healthCheck?.type, 'tcp');
  again.close();
});

test('a throw inside a transaction leaves nothing behind', () => {
  const store = new Store(':memory:');
  assert.throws(() =>
    store.transaction(() => {
      store.services.insert(WEB, 1);
      store.audit.append({ user: 'u', role: 'admin' }, { action: 'service.create', target: 'x', before: null, after: {} }, 1);
      throw new Error('reconcile failed');
    }),
  );
  assert.equal(store.services.count(), 0);
  assert.equal(store.audit.count(), 0);
  store.close();
});

test('the schema refuses what the API would refuse (defence in depth)', () => {
  const store = new Store(':memory:');
  const service = store.services.insert(WEB, 1);
  assert.throws(() => store.services.insertBackend(service, { address: '198.19.1.2', port: 0, weight: 1, state: 'ready' }, 1), /CHECK constraint/);
  assert.throws(() => store.services.insertBackend(service, { address: '198.19.1.2', port: 80, weight: 0, state: 'ready' }, 1), /CHECK constraint/);
  store.services.insertBackend(service, { address: '198.19.1.2', port: 80, weight: 1, state: 'ready' }, 1);
  assert.throws(() => store.services.insertBackend(service, { address: '198.19.1.2', port: 80, weight: 1, state: 'ready' }, 1), /UNIQUE constraint/);
  assert.throws(() => store.services.update(service.name, { ...service, clientRate: -1 }, 2), /CHECK constraint/);
  assert.throws(() => store.services.update(service.name, { ...service, clientRate: 1_000_001 }, 2), /CHECK constraint/);
  assert.equal(store.services.get(service.name)?.clientRate, 0);
  store.services.delete(service.name);
  assert.equal(store.services.backendCount(), 0, 'backends go with their service');
  store.close();
});

test('passwords: scrypt, salted, verified; tokens: random, stored as SHA-256', async () => {
  const a = await hashPassword('correct horse battery');
  const b = await hashPassword('correct horse battery');
  assert.notEqual(a, b);
  assert.match(a, /^scrypt\$32768\$8\$1\$/);
  assert.ok(await verifyPassword('correct horse battery', a));
  assert.ok(!(await verifyPassword('correct horse batterY', a)));
  const token = newToken('slk');
  assert.match(token, /^slk_[A-Za-z0-9_-]{43}$/);
  assert.equal(hashToken(token).length, 64);
  assert.notEqual(newToken('slk'), token);
});

test('audit: newest first, filtered, paged with a cursor', () => {
  const store = new Store(':memory:');
  for (let i = 0; i < 7; i++)
    store.audit.append(
      { user: i % 2 ? 'olga' : 'root', role: 'admin' },
      { action: 'backend.setWeight', target: `svc be${i}`, before: { weight: i }, after: { weight: i + 1 } },
      1000 + i,
    );
  const first = store.audit.list({ limit: 3 });
  assert.deepEqual(
    first.items.map((e) => e.target),
    ['svc be6', 'svc be5', 'svc be4'],
  );
  assert.deepEqual(first.items[0]?.before, { weight: 6 });
  const second = store.audit.list({ limit: 3, cursor: first.nextCursor! });
  assert.deepEqual(
    second.items.map((e) => e.target),
    ['svc be3', 'svc be2', 'svc be1'],
  );
  const last = store.audit.list({ limit: 3, cursor: second.nextCursor! });
  assert.deepEqual(
    last.items.map((e) => e.target),
    ['svc be0'],
  );
  assert.equal(last.nextCursor, null);
  assert.equal(store.audit.list({ limit: 50, actor: 'olga' }).items.length, 3);
  assert.equal(store.audit.list({ limit: 50, target: 'be1' }).items.length, 1);
  store.close();
});

test('a version-1 store migrates: sessions keep their login time as last seen, old tokens have no creator', () => {
  const dataDir = join(dir, 'v1');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const v1 = new Database(join(dataDir, DATABASE_FILE));
  v1.exec(MIGRATIONS[0]!);
  v1.pragma('user_version = 1');
  v1.prepare("INSERT INTO users VALUES ('olga', 'operator', 'x', 1000, 1000)").run();
  v1.prepare("INSERT INTO sessions VALUES ('h1', 'olga', 5000, 9000)").run();
  v1.prepare("INSERT INTO api_tokens VALUES ('grafana', 'viewer', 'h2', 4000, NULL)").run();
  v1.close();
  const store = new Store(dataDir);
  assert.equal(store.db.pragma('user_version', { simple: true }), MIGRATIONS.length);
  assert.deepEqual(store.identities.session('h1', 6000), { tokenHash: 'h1', user: 'olga', role: 'operator', expiresAt: 9000, lastSeenAt: 5000 });
  assert.equal(store.identities.token('grafana')?.createdBy, null);
  store.close();
});

test('a version-2 store migrates: its services get no client rate limit (0), and one can be set and exported', () => {
  const dataDir = join(dir, 'v2');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const v2 = new Database(join(dataDir, DATABASE_FILE));
  v2.exec(MIGRATIONS[0]!);
  v2.exec(MIGRATIONS[1]!);
  v2.pragma('user_version = 2');
  v2.prepare(
    "INSERT INTO services (name, address, port, protocol, algorithm, mode, health_check, created_at, updated_at) VALUES ('198.18.100.1:80/tcp', '198.18.100.1', 80, 'tcp', 'maglev', 'nat', ?, 1000, 1000)",
  ).run(JSON.stringify(defaultHealthCheck('tcp')));
  v2.close();
  const store = new Store(dataDir);
  assert.equal(store.db.pragma('user_version', { simple: true }), MIGRATIONS.length);
  const service = store.services.get('198.18.100.1:80/tcp')!;
  assert.equal(service.clientRate, 0);
  assert.equal(store.services.desired()[0]?.clientRate, 0);
  assert.equal('clientRate' in store.exportConfig().services[0]!, false, 'no limit: the exported document does not mention it');
  store.services.update(service.name, { ...service, clientRate: 50 }, 2000);
  assert.equal(store.services.desired()[0]?.clientRate, 50);
  assert.equal(store.exportConfig().services[0]?.clientRate, 50);
  store.close();
});
