// The tRPC server over a real unix socket: file mode, bearer tokens, roles,
// login sessions, and a stale socket left by a killed agent.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { TRPCClientError } from '@trpc/client';
import { ensureAdminTokenFile, readAdminToken } from '../../src/auth/admin-token-file.js';
import { createSluiceBackend } from '../../src/api/index.js';
import { createSocketClient } from '../../src/server/client.js';
import { startSocketServer, stopSocketServer } from '../../src/server/socket-server.js';
import { type TestAgent, startTestAgent } from '../api/helpers.js';

const T = { timeout: 30_000 };
const dir = mkdtempSync(join(tmpdir(), 'sluice-socket-'));
const socketPath = join(dir, 'agent.sock');
const tokenFile = join(dir, 'admin.token');
let t: TestAgent;
let server: Server;

const client = (token: string | null) => createSocketClient({ socketPath, token });

async function codeOf(call: Promise<unknown>): Promise<string | undefined> {
  const error = await call.then(() => assert.fail('expected an error'), (e: unknown) => e);
  assert.ok(error instanceof TRPCClientError, String(error));
  return (error.data as { sluiceCode?: string }).sluiceCode;
}

before(async () => {
  t = await startTestAgent();
  ensureAdminTokenFile(tokenFile, t.agent.store);
  /* A stale socket file, as a SIGKILLed agent leaves it. */
  const stale = createServer().listen(socketPath);
  await new Promise((r) => stale.once('listening', r));
  await new Promise((r) => stale.close(r));
  writeFileSync(socketPath, '');
  const sluice = createSluiceBackend(t.agent, t.authenticator, { version: 'test', interfaces: [], pinDir: t.pinDir, dataDir: t.dataDir });
  server = await startSocketServer({ socketPath, sluice, authenticator: t.authenticator });
});

after(async () => {
  if (server) await stopSocketServer(server, socketPath);
  t?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('the socket is mode 0660 and the admin token file 0600', T, () => {
  assert.equal(statSync(socketPath).mode & 0o777, 0o660);
  assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
  assert.match(readAdminToken(tokenFile), /^slk_[A-Za-z0-9_-]{43}$/);
});

test('no token, an unknown token: UNAUTHENTICATED for reads and writes', T, async () => {
  assert.equal(await codeOf(client(null).services.list.query()), 'UNAUTHENTICATED');
  assert.equal(await codeOf(client('slk_forged').services.list.query()), 'UNAUTHENTICATED');
  assert.equal(await codeOf(client('slk_forged').services.create.mutate({ address: '198.18.100.1', port: 80, protocol: 'tcp' })), 'UNAUTHENTICATED');
  assert.equal(t.agent.store.services.count(), 0);
});

test('the admin token can do everything; a viewer token only read', T, async () => {
  const admin = client(readAdminToken(tokenFile));
  assert.deepEqual(await admin.auth.whoami.query(), { user: 'root', role: 'admin', source: 'token' });
  await admin.services.create.mutate({ address: '198.18.100.1', port: 80, protocol: 'tcp', backends: [{ address: '198.19.1.2', port: 8080 }] });
  const { token } = await admin.auth.createToken.mutate({ name: 'grafana', role: 'viewer' });
  const viewer = client(token);
  assert.equal((await viewer.services.list.query()).length, 1);
  assert.equal(await codeOf(viewer.backends.setState.mutate({ service: '198.18.100.1:80/tcp', endpoint: '198.19.1.2:8080', state: 'drain' })), 'FORBIDDEN');
  assert.equal(t.agent.store.services.backend('198.18.100.1:80/tcp', '198.19.1.2:8080')?.state, 'ready');
  await admin.auth.revokeToken.mutate({ name: 'grafana' });
  assert.equal(await codeOf(viewer.services.list.query()), 'UNAUTHENTICATED');
});

test('login gives a session token; a wrong password does not; logout and a role change end it', T, async () => {
  const admin = client(readAdminToken(tokenFile));
  await admin.auth.createUser.mutate({ user: 'olga', password: 'correct horse battery', role: 'operator' });
  assert.equal(await codeOf(client(null).auth.login.mutate({ user: 'olga', password: 'wrong password!' })), 'UNAUTHENTICATED');
  assert.equal(await codeOf(client(null).auth.login.mutate({ user: 'nobody', password: 'wrong password!' })), 'UNAUTHENTICATED');
  const session = await client(null).auth.login.mutate({ user: 'olga', password: 'correct horse battery' });
  assert.equal(session.role, 'operator');
  const olga = client(session.token);
  assert.deepEqual(await olga.auth.whoami.query(), { user: 'olga', role: 'operator', source: 'session' });
  await olga.backends.setWeight.mutate({ service: '198.18.100.1:80/tcp', endpoint: '198.19.1.2:8080', weight: 4 });
  assert.equal(await codeOf(olga.services.delete.mutate({ service: '198.18.100.1:80/tcp' })), 'FORBIDDEN');
  const audit = await admin.audit.list.query({ actor: 'olga' });
  assert.equal(audit.items[0]?.action, 'backend.setWeight');

  await admin.auth.updateUser.mutate({ user: 'olga', role: 'viewer' });
  assert.equal(await codeOf(olga.auth.whoami.query()), 'UNAUTHENTICATED', 'a role change ends the session');
  const again = client((await client(null).auth.login.mutate({ user: 'olga', password: 'correct horse battery' })).token);
  await again.auth.logout.mutate();
  assert.equal(await codeOf(again.auth.whoami.query()), 'UNAUTHENTICATED');
});

test('invalid input over the wire: INVALID with the problem spelled out', T, async () => {
  const admin = client(readAdminToken(tokenFile));
  const error = await admin.backends.add.mutate({ service: '198.18.100.1:80/tcp', address: '198.19.1.3', port: 65536 }).catch((e) => e);
  assert.ok(error instanceof TRPCClientError);
  assert.equal(error.data.sluiceCode, 'INVALID');
  assert.match(error.message, /port: port must be 1 to 65535/);
});

test('a second server on a socket in use is refused', T, async () => {
  const sluice = createSluiceBackend(t.agent, t.authenticator, { version: 'test', interfaces: [], pinDir: t.pinDir, dataDir: t.dataDir });
  await assert.rejects(startSocketServer({ socketPath, sluice, authenticator: t.authenticator }), /is in use: another agent is running/);
});
