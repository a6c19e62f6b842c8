// The router alone, against a stub implementation: roles, input validation
// and error mapping. The agent's own tests run the same router against real maps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TRPCError } from '@trpc/server';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { type Identity, type SluiceBackend, SluiceError, createAppRouter, sluiceCodeOf as trpcSluiceCodeOf } from '../src/index.ts';

const calls: string[] = [];
const argsOf: Record<string, unknown[]> = {};
/* What a real failure deep in the agent looks like: a system error naming a file. */
const INTERNAL_DETAIL = "EACCES: permission denied, open '/var/lib/sluice/store.db'";
const notImplemented = () => {
  throw new Error('not in this stub');
};
const stub = new Proxy({} as SluiceBackend, {
  get: (_target, area: string) =>
    new Proxy(
      {},
      {
        get:
          (_t, method: string) =>
          (...args: unknown[]) => {
            calls.push(`${area}.${method}`);
            argsOf[`${area}.${method}`] = args;
            if (area === 'agent' && method === 'info') throw new Error(INTERNAL_DETAIL);
            if (area === 'stats' && method === 'totals') throw new SluiceError('INTERNAL', 'the data plane refused the change: map full; nothing was changed');
            if (area === 'auth' && method === 'login')
              throw new SluiceError('RATE_LIMITED', 'too many failed logins for this user or from this address: try again in 900 s', {
                retryAfterSeconds: 900,
              });
            if (area === 'backends' && method === 'remove')
              throw new SluiceError('CONFLICT', 'backend 198.19.1.2:8080 still carries 3 active flows', { activeFlows: 3 });
            if (area === 'services' && method === 'list') return [];
            if (area === 'auth' && method === 'listUsers') return [];
            return notImplemented();
          },
      },
    ),
});
const api = createAppRouter(stub);
const as = (role: Identity['role']) => api.callerFor({ user: `u-${role}`, role, source: 'token' });

/**
 * The error as it leaves the server, through tRPC's public fetch adapter:
 * tRPC's own shaping (stack and all, unless turned off), then ours.
 */
async function wireShapeOf(
  procedure: string,
  kind: 'query' | 'mutation',
  input: unknown,
  identity: Identity | null,
): Promise<{ message: string; data: Record<string, unknown> }> {
  const url = new URL(`http://agent/trpc/${procedure}`);
  if (kind === 'query' && input !== undefined) url.searchParams.set('input', JSON.stringify(input));
  const req = new Request(url, kind === 'query' ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(input ?? {}) });
  const response = await fetchRequestHandler({ endpoint: '/trpc', req, router: api.router, createContext: () => api.createContext(identity) });
  const body = (await response.json()) as { error?: { message: string; data: Record<string, unknown> } };
  assert.ok(body.error, `expected an error, got ${JSON.stringify(body)}`);
  return body.error;
}

/** The Sluice code a client reads from the error (packages/api's own mapping, as the error formatter uses it). */
async function sluiceCodeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => assert.fail('expected an error'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof TRPCError, `expected a TRPCError, got ${error}`);
  return trpcSluiceCodeOf(error);
}

test('anonymous callers reach only auth.login', async () => {
  const anonymous = api.callerFor(null);
  assert.equal(await sluiceCodeOf(anonymous.services.list()), 'UNAUTHENTICATED');
  assert.equal(await sluiceCodeOf(anonymous.auth.whoami()), 'UNAUTHENTICATED');
  calls.length = 0;
  await assert.rejects(anonymous.auth.login({ user: 'admin', password: 'x' }));
  assert.deepEqual(calls, ['auth.login'], 'login reached the implementation');
  assert.deepEqual(argsOf['auth.login'], ['admin', 'x', { source: 'local', previousToken: null }], 'a caller on the socket is "local"');
});

test('login passes the browser address and the presented token on, for the throttle and for rotation', async () => {
  await assert.rejects(api.callerFor(null, 'sls_old', '192.0.2.10').auth.login({ user: 'olga', password: 'x' }));
  assert.deepEqual(argsOf['auth.login'], ['olga', 'x', { source: '192.0.2.10', previousToken: 'sls_old' }]);
});

test('a lock is RATE_LIMITED (HTTP 429) with its retry-after, and only admins may lift it', async () => {
  const shape = await wireShapeOf('auth.login', 'mutation', { user: 'olga', password: 'x' }, null);
  assert.equal(shape.data.sluiceCode, 'RATE_LIMITED');
  assert.equal(shape.data.httpStatus, 429);
  assert.deepEqual(shape.data.details, { retryAfterSeconds: 900 });
  assert.match(shape.message, /try again in 900 s/);
  calls.length = 0;
  assert.equal(await sluiceCodeOf(as('operator').auth.unlockLogin({ user: 'olga' })), 'FORBIDDEN');
  assert.equal(await sluiceCodeOf(as('admin').auth.unlockLogin({})), 'INVALID');
  assert.deepEqual(calls, []);
});

test('an unexpected error leaves no stack, path or internal message in the reply: a reference instead', async () => {
  const viewer: Identity = { user: 'u-viewer', role: 'viewer', source: 'token' };
  const shape = await wireShapeOf('agent.info', 'query', undefined, viewer);
  const text = JSON.stringify(shape);
  assert.equal(shape.data.sluiceCode, 'INTERNAL');
  assert.equal('stack' in shape.data, false, 'no stack');
  assert.ok(!text.includes('/var/lib') && !text.includes('EACCES') && !/\.ts:\d+/.test(text), `internals in ${text}`);
  assert.match(String(shape.data.reference), /^[0-9a-f]{8}$/);
  assert.match(shape.message, new RegExp(`unexpected error in the agent \\(reference ${shape.data.reference}\\)`));
  /* Expected errors keep their words (and still no stack). */
  const typed = await wireShapeOf('stats.totals', 'query', undefined, viewer);
  assert.equal(typed.data.sluiceCode, 'INTERNAL');
  assert.match(typed.message, /the data plane refused the change: map full/);
  assert.equal(typed.data.reference, null);
  const refused = await wireShapeOf('backends.setWeight', 'mutation', { service: '198.18.100.1:80/tcp', endpoint: '198.19.1.2:8080', weight: 2 }, viewer);
  assert.equal(refused.data.sluiceCode, 'FORBIDDEN');
  assert.equal('stack' in refused.data, false, 'no stack on a refusal either');
});

test('each role is refused what is above it, before the implementation is called', async () => {
  calls.length = 0;
  const backend = { service: '198.18.100.1:80/tcp', endpoint: '198.19.1.2:8080' };
  assert.equal(await sluiceCodeOf(as('viewer').backends.setWeight({ ...backend, weight: 2 })), 'FORBIDDEN');
  assert.equal(await sluiceCodeOf(as('operator').services.create({ address: '198.18.100.1', port: 80, protocol: 'tcp' })), 'FORBIDDEN');
  assert.equal(await sluiceCodeOf(as('operator').auth.listUsers()), 'FORBIDDEN');
  assert.deepEqual(calls, []);
  assert.deepEqual(await as('viewer').services.list(), []);
  assert.deepEqual(await as('admin').auth.listUsers(), []);
});

test('bad input is INVALID and never reaches the implementation', async () => {
  calls.length = 0;
  const admin = as('admin');
  const bad = [
    admin.services.create({ address: '198.18.100.300', port: 80, protocol: 'tcp' }),
    admin.services.create({ address: '198.18.100.1', port: 0, protocol: 'tcp' }),
    admin.services.create({ address: '198.18.100.1', port: 65536, protocol: 'tcp' }),
    admin.services.create({ address: '198.18.100.1', port: 80, protocol: 'sctp' as 'tcp' }),
    admin.backends.add({ service: '198.18.100.1:80/tcp', address: '198.19.1.2', port: 8080, weight: 0 }),
    admin.backends.add({ service: '198.18.100.1:80/tcp', address: '198.19.1.2', port: 8080, weight: 65536 }),
    admin.backends.setState({ service: '198.18.100.1/tcp', endpoint: '198.19.1.2:8080', state: 'drain' }),
    admin.backends.setState({ service: '2001:db8::1:80/tcp', endpoint: '198.19.1.2:8080', state: 'drain' }),
    admin.backends.bulk({ service: '198.18.100.1:80/tcp', endpoints: ['198.19.1.2:80', '198.19.1.2:80'], change: { action: 'setWeight', weight: 2 } }),
    admin.connections.list({ limit: 100_000 }),
    admin.services.update({ service: '198.18.100.1:80/tcp', healthCheck: { intervalMs: 500, timeoutMs: 1000 } }),
  ];
  for (const call of bad) assert.equal(await sluiceCodeOf(call), 'INVALID');
  assert.deepEqual(calls, []);
});

test('a SluiceError keeps its code, message and details', async () => {
  const error = await as('operator')
    .backends.remove({ service: '198.18.100.1:80/tcp', endpoint: '198.19.1.2:8080' })
    .catch((e: unknown) => e);
  assert.ok(error instanceof TRPCError);
  assert.equal(error.code, 'CONFLICT');
  assert.match(error.message, /3 active flows/);
  assert.equal(await sluiceCodeOf(Promise.reject(error)), 'CONFLICT');
});

test('service and endpoint names are canonicalised', async () => {
  const { parseServiceName, parseEndpoint } = await import('../src/index.ts');
  assert.deepEqual(parseServiceName('[2001:DB8::0:1]:80/TCP'), { address: '2001:db8::1', port: 80, protocol: 'tcp' });
  assert.deepEqual(parseEndpoint('198.19.1.2:8080'), { address: '198.19.1.2', port: 8080 });
  assert.match(String(parseEndpoint('2001:db8::1:80')), /\[ADDR\]:PORT/);
  assert.match(String(parseServiceName('198.18.100.1:80')), /VIP:PORT\/PROTO/);
});

test('node.role needs an operator and a known role; node.check needs a login; neither reaches the implementation when refused', async () => {
  calls.length = 0;
  assert.equal(await sluiceCodeOf(as('viewer').node.role({ role: 'master' })), 'FORBIDDEN');
  assert.equal(await sluiceCodeOf(api.callerFor(null).node.check()), 'UNAUTHENTICATED');
  assert.equal(await sluiceCodeOf(as('operator').node.role({ role: 'primary' as 'master' })), 'INVALID');
  assert.equal(await sluiceCodeOf(as('operator').node.role({ role: 'fault', instance: 'VI 1; rm -rf /' })), 'INVALID');
  assert.equal(await sluiceCodeOf(as('operator').node.role({ role: 'fault', priority: 100 } as { role: 'fault' })), 'INVALID');
  assert.deepEqual(calls, []);
});

test('node.drain and node.resume need an operator; bad drain input is INVALID; neither reaches the implementation', async () => {
  calls.length = 0;
  assert.equal(await sluiceCodeOf(as('viewer').node.drain({})), 'FORBIDDEN');
  assert.equal(await sluiceCodeOf(as('viewer').node.resume()), 'FORBIDDEN');
  assert.equal(await sluiceCodeOf(api.callerFor(null).node.status()), 'UNAUTHENTICATED');
  assert.equal(await sluiceCodeOf(as('operator').node.drain({ timeoutMs: -1 })), 'INVALID');
  assert.equal(await sluiceCodeOf(as('operator').node.drain({ timeoutMs: 1000, force: true } as { timeoutMs: number })), 'INVALID');
  assert.deepEqual(calls, []);
});
