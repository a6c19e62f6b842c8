// The tRPC server over a real unix socket: file mode, bearer tokens, roles,
// login sessions, and a stale socket left by a killed agent.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, type Server, request } from 'node:http';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { TRPCClientError } from '@trpc/client';
import { readAdminToken } from '../../src/auth/admin-token-file.js';
import { createSocketClient } from '../../src/server/client.js';
import { MAX_REQUEST_BYTES, startSocketServer, stopSocketServer } from '../../src/server/socket-server.js';
import { type TestAgent, startTestAgent } from '../operations/helpers.js';

const T = { timeout: 30_000 };
const dir = mkdtempSync(join(tmpdir(), 'sluice-socket-'));
const socketPath = join(dir, 'agent.sock');
const tokenFile = join(dir, 'admin.token');
let t: TestAgent;
let server: Server;

const client = (token: string | null) => createSocketClient({ socketPath, token });

/** One raw request on a socket, to see the bytes a client gets (the typed client hides the envelope). */
function raw(
  path: string,
  options: { socket?: string; method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: options.socket ?? socketPath, path, method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (options.body) req.write(options.body);
    req.end();
  });
}

/* A stack frame or a source path: what no reply may carry. */
const INTERNALS = /"stack"|\bat [\w.<>]+ \(|\/(work|root|home|usr|var|tmp)\/|node_modules|\.[cm]?[jt]s:\d+/;

async function codeOf(call: Promise<unknown>): Promise<string | undefined> {
  const error = await call.then(
    () => assert.fail('expected an error'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof TRPCClientError, String(error));
  return (error.data as { sluiceCode?: string }).sluiceCode;
}

before(async () => {
  t = await startTestAgent();
  t.agent.ensureAdminTokenFile(tokenFile);
  /* A stale socket file, as a SIGKILLed agent leaves it. */
  const stale = createServer().listen(socketPath);
  await new Promise((r) => stale.once('listening', r));
  await new Promise((r) => stale.close(r));
  writeFileSync(socketPath, '');
  server = await startSocketServer({ socketPath, agent: t.agent });
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
  assert.equal(t.store.services.count(), 0);
});

test('the admin token can do everything; a viewer token only read', T, async () => {
  const admin = client(readAdminToken(tokenFile));
  assert.deepEqual(await admin.auth.whoami.query(), { user: 'root', role: 'admin', source: 'token' });
  await admin.services.create.mutate({ address: '198.18.100.1', port: 80, protocol: 'tcp', backends: [{ address: '198.19.1.2', port: 8080 }] });
  const { token } = await admin.auth.createToken.mutate({ name: 'grafana', role: 'viewer' });
  const viewer = client(token);
  assert.equal((await viewer.services.list.query()).length, 1);
  assert.equal(await codeOf(viewer.backends.setState.mutate({ service: '198.18.100.1:80/tcp', endpoint: '198.19.1.2:8080', state: 'drain' })), 'FORBIDDEN');
  assert.equal(t.store.services.backend('198.18.100.1:80/tcp', '198.19.1.2:8080')?.state, 'ready');
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

test('a body past the request limit is refused with 413 before it is read, and changes nothing; one just under it works', T, async () => {
  const admin = readAdminToken(tokenFile);
  const headers = { authorization: `Bearer ${admin}`, 'content-type': 'application/json' };
  /* JSON whitespace pads a valid create to the size wanted. */
  const padded = (address: string, bytes: number) => {
    const json = `{"address":"${address}","port":80,"protocol":"tcp"}`;
    return json + ' '.repeat(bytes - json.length);
  };
  const under = await raw('/services.create', { method: 'POST', headers, body: padded('198.18.100.61', MAX_REQUEST_BYTES - 1) });
  assert.equal(under.status, 200, under.text);
  const over = await raw('/services.create', { method: 'POST', headers, body: padded('198.18.100.62', MAX_REQUEST_BYTES + 1) });
  assert.equal(over.status, 413, over.text);
  assert.doesNotMatch(over.text, INTERNALS);
  const services = (await client(admin).services.list.query()).map((s) => s.address);
  assert.ok(services.includes('198.18.100.61'));
  assert.ok(!services.includes('198.18.100.62'), 'the refused create changed nothing');
  await client(admin).services.delete.mutate({ service: '198.18.100.61:80/tcp' });
});

test('a second server on a socket in use is refused', T, async () => {
  await assert.rejects(startSocketServer({ socketPath, agent: t.agent }), /is in use: another agent is running/);
});

test('no reply carries a stack or a path: refusals, unknown procedures, bad input', T, async () => {
  const admin = readAdminToken(tokenFile);
  const replies = [
    await raw('/no.such.procedure', { headers: { authorization: `Bearer ${admin}` } }),
    await raw('/services.list'),
    await raw('/auth.listUsers', { headers: { authorization: 'Bearer slk_forged' } }),
    await raw('/services.create', { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: '{"address":' }),
    await raw('/services.create', {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: '{"address":"1.2.3.999","port":80,"protocol":"tcp"}',
    }),
  ];
  for (const reply of replies) {
    assert.ok(reply.status >= 400, reply.text);
    assert.doesNotMatch(reply.text, INTERNALS);
  }
  assert.match(replies[4]!.text, /invalid input: address/, 'typed errors keep their clear message');
});

test('an unexpected failure: the client gets a reference, the log gets the detail under it', T, async () => {
  const brokenSocket = join(dir, 'broken.sock');
  const logged: string[] = [];
  /* A real system error with a path in its message, where agent.info would read its state. */
  const broken = { ...t.agent, agent: { info: () => JSON.parse(readFileSync(join(dir, 'missing', 'agent-state.json'), 'utf8')) } };
  const brokenServer = await startSocketServer({ socketPath: brokenSocket, agent: broken, onError: (m) => logged.push(m) });
  try {
    const reply = await raw('/agent.info', { socket: brokenSocket, headers: { authorization: `Bearer ${readAdminToken(tokenFile)}` } });
    assert.equal(reply.status, 500);
    assert.doesNotMatch(reply.text, INTERNALS);
    assert.doesNotMatch(reply.text, /ENOENT|agent-state/);
    const body = JSON.parse(reply.text) as { error: { message: string; data: { sluiceCode: string; reference: string } } };
    assert.equal(body.error.data.sluiceCode, 'INTERNAL');
    assert.match(body.error.data.reference, /^[0-9a-f]{8}$/);
    assert.match(body.error.message, new RegExp(`reference ${body.error.data.reference}`));
    assert.equal(logged.length, 1);
    assert.match(logged[0]!, new RegExp(`agent\\.info \\[reference ${body.error.data.reference}\\]: Error: ENOENT.*agent-state\\.json`));
    assert.match(logged[0]!, /\n\s+at /, 'the log has the stack');
  } finally {
    await stopSocketServer(brokenServer, brokenSocket);
  }
});

test("the browser's address the console passes on is the login's source; anything not an address is ignored", T, async () => {
  const login = (address: string) =>
    raw('/auth.login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-sluice-client-address': address },
      body: JSON.stringify({ user: 'nobody-here', password: 'wrong password!' }),
    });
  const sourceOfLastFailure = () => (t.store.audit.list({ action: 'auth.loginFailed', limit: 1 }).items[0]!.after as { source: string }).source;
  assert.equal((await login('::ffff:192.0.2.33')).status, 401);
  assert.equal(sourceOfLastFailure(), '192.0.2.33');
  await login('2001:DB8::7');
  assert.equal(sourceOfLastFailure(), '2001:db8::7');
  await login('192.0.2.33, 10.0.0.1');
  assert.equal(sourceOfLastFailure(), 'local');
});

test('batched calls answer in one reply, whole or (trpc-accept: application/jsonl) streamed line by line', T, async () => {
  const headers = { authorization: `Bearer ${readAdminToken(tokenFile)}` };
  const whole = await raw(`/auth.whoami,agent.info?batch=1&input=${encodeURIComponent('{}')}`, { headers });
  assert.equal(whole.status, 200, whole.text);
  const [whoami, info] = JSON.parse(whole.text) as { result: { data: Record<string, unknown> } }[];
  assert.deepEqual(whoami?.result.data, { user: 'root', role: 'admin', source: 'token' });
  assert.ok(info?.result.data, whole.text);

  const streamed = await raw(`/auth.whoami,auth.whoami?batch=1&input=${encodeURIComponent('{}')}`, {
    headers: { ...headers, 'trpc-accept': 'application/jsonl' },
  });
  assert.equal(streamed.status, 200, streamed.text);
  const lines = streamed.text.trim().split('\n');
  assert.ok(lines.length >= 3, `a head line and one per call: ${streamed.text}`);
  assert.match(streamed.text, /"user":"root"/);
});

test('a subscription streams server-sent events over the socket, and ends when the client goes', T, async () => {
  const service = '198.18.100.70:80/tcp';
  const endpoint = '198.19.1.70:8080';
  const admin = readAdminToken(tokenFile);
  await client(admin).services.create.mutate({ address: '198.18.100.70', port: 80, protocol: 'tcp', backends: [{ address: '198.19.1.70', port: 8080 }] });
  const listenersBefore = t.health.listenerCount('change');
  const subscribed = once(t.health, 'newListener');
  const req = request({
    socketPath,
    path: `/health.changes?input=${encodeURIComponent(JSON.stringify({ service }))}`,
    headers: { authorization: `Bearer ${admin}`, accept: 'text/event-stream' },
    agent: false,
  });
  req.end();
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/event-stream/);
  await subscribed;
  let text = '';
  const flipArrived = new Promise<void>((resolve) =>
    res.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (text.includes(endpoint)) resolve();
    }),
  );
  t.health.set(service, endpoint, false);
  await flipArrived;
  assert.match(text, /"up":false/);

  const unsubscribed = new Promise<void>((resolve) =>
    t.health.on('removeListener', function gone(name: string | symbol) {
      if (name !== 'change') return;
      t.health.off('removeListener', gone);
      resolve();
    }),
  );
  req.destroy();
  await unsubscribed;
  assert.equal(t.health.listenerCount('change'), listenersBefore, 'the subscription let go of the health feed');
  t.health.set(service, endpoint, true);
  await client(admin).services.delete.mutate({ service });
});

test('a client that goes before its body is complete gets nothing, is not logged as a failure, and the socket serves on', T, async () => {
  const quietSocket = join(dir, 'quiet.sock');
  const logged: string[] = [];
  const quietServer = await startSocketServer({ socketPath: quietSocket, agent: t.agent, onError: (m) => logged.push(m) });
  try {
    const admin = readAdminToken(tokenFile);
    const half = connect(quietSocket);
    await once(half, 'connect');
    half.write(
      `POST /services.create HTTP/1.1\r\nhost: sluice\r\nauthorization: Bearer ${admin}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"address":`,
    );
    half.destroy();
    await once(half, 'close');
    const after = await raw('/auth.whoami', { socket: quietSocket, headers: { authorization: `Bearer ${admin}` } });
    assert.equal(after.status, 200, after.text);
    assert.deepEqual(logged, []);
  } finally {
    await stopSocketServer(quietServer, quietSocket);
  }
});
