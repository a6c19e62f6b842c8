/*
 * The probe thread (probe-thread.ts) against real loopback servers: its
 * results are what the same probe made on this thread says (up, refused, a
 * wrong HTTP status, a timeout), many at once each get their own; a thread
 * that keeps dying fails no probe and hands the probes to this thread; a
 * closed one resolves what it had and probes here from then on.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { type ProbeRequest, ProbeThread, runProbe } from '../../src/health/index.js';
import { GIVE_UP_AFTER_DEATHS } from '../../src/health/probe-thread/probe-thread.js';
import { type TestServer, httpServer, silentServer, tcpServer } from './servers.js';

const servers: TestServer[] = [];
after(async () => {
  for (const server of servers) await server.stop();
});
const kept = async (server: Promise<TestServer>) => {
  servers.push(await server);
  return servers.at(-1)!;
};

/* What a result says, without its latency. */
const verdict = (result: { ok: boolean; error: string | null }) => ({ ok: result.ok, error: result.error });

test('on the thread, each probe says what the same probe says here: up, refused, a wrong status, no answer in time', async () => {
  const tcp = await kept(tcpServer());
  const ok = await kept(httpServer(() => 204));
  const wrong = await kept(httpServer(() => 503));
  const silent = await kept(silentServer());
  const closed = await kept(tcpServer());
  await closed.stop();
  const requests: ProbeRequest[] = [
    { kind: 'tcp', address: '127.0.0.1', port: tcp.port, timeoutMs: 1000 },
    { kind: 'tcp', address: '127.0.0.1', port: closed.port, timeoutMs: 1000 },
    { kind: 'http', address: '127.0.0.1', port: ok.port, timeoutMs: 1000, path: '/health' },
    { kind: 'http', address: '127.0.0.1', port: wrong.port, timeoutMs: 1000, expectStatus: [200, 299] },
    { kind: 'http', address: '127.0.0.1', port: silent.port, timeoutMs: 200 },
  ];
  const errors: string[] = [];
  const thread = new ProbeThread((message) => errors.push(message));
  try {
    const there = await Promise.all(requests.map((request) => thread.probe(request)));
    const here = await Promise.all(requests.map((request) => runProbe(request)));
    assert.deepEqual(there.map(verdict), here.map(verdict));
    assert.deepEqual(
      there.map((result) => result.ok),
      [true, false, true, false, false],
    );
    assert.match(there[1]!.error!, /connection refused \(ECONNREFUSED\)/);
    assert.equal(there[3]!.error, 'HTTP status 503, expected 200-299');
    assert.equal(there[4]!.error, 'no HTTP response within 200 ms');
    for (const result of there) assert.ok(result.latencyMs > 0 && result.latencyMs < 1000, `latency ${result.latencyMs} ms`);
    /* 400 at once, sent in one batch, each answered on its own. */
    const many = await Promise.all(Array.from({ length: 400 }, (_, i) => thread.probe(i % 2 ? requests[0]! : requests[1]!)));
    assert.deepEqual(
      many.map((result) => result.ok),
      Array.from({ length: 400 }, (_, i) => i % 2 === 1),
    );
    assert.ok(tcp.connections.length >= 201);
  } finally {
    thread.close();
  }
  assert.deepEqual(errors, []);
});

test('a thread that keeps dying fails no probe: its probes go to a new one, then after the limit are made on this thread', async () => {
  const tcp = await kept(tcpServer());
  const errors: string[] = [];
  const thread = new ProbeThread((message) => errors.push(message), { entry: new URL('./fixtures/dying-probe-entry.cjs', import.meta.url) });
  try {
    const request: ProbeRequest = { kind: 'tcp', address: '127.0.0.1', port: tcp.port, timeoutMs: 1000 };
    const results = await Promise.all([thread.probe(request), thread.probe(request)]);
    assert.deepEqual(results.map(verdict), [
      { ok: true, error: null },
      { ok: true, error: null },
    ]);
    assert.equal(errors.length, GIVE_UP_AFTER_DEATHS, errors.join('\n'));
    for (const message of errors.slice(0, -1)) assert.match(message, /died \(exited with code 7\); its 2 probes are made again on a new one/);
    assert.match(errors.at(-1)!, /died 3 times in a row .*probes run on the agent's thread from now on/);
    /* From now on here, without a thread. */
    assert.equal((await thread.probe(request)).ok, true);
    assert.equal(errors.length, GIVE_UP_AFTER_DEATHS);
  } finally {
    thread.close();
  }
});

test('a thread that stops answering is ended once a probe is out past its timeout and the grace: its probes are made again, then here', async () => {
  const tcp = await kept(tcpServer());
  const errors: string[] = [];
  const thread = new ProbeThread((message) => errors.push(message), {
    entry: new URL('./fixtures/silent-probe-entry.cjs', import.meta.url),
    hungAfterMs: 200,
  });
  try {
    const started = performance.now();
    const result = await thread.probe({ kind: 'tcp', address: '127.0.0.1', port: tcp.port, timeoutMs: 100 });
    assert.deepEqual(verdict(result), { ok: true, error: null });
    assert.equal(errors.length, GIVE_UP_AFTER_DEATHS, errors.join('\n'));
    for (const message of errors.slice(0, -1))
      assert.match(message, /died \(no result \d+ ms after a probe was sent\); its 1 probes are made again on a new one/);
    /* Three hangs, each noticed 300-400 ms after the send (100 ms timeout + 200 ms, checked every 100 ms). */
    assert.ok(performance.now() - started >= 3 * 300, `${performance.now() - started} ms`);
  } finally {
    thread.close();
  }
});

test('closed: probes still out resolve as failures, later ones are made on this thread', async () => {
  const silent = await kept(silentServer());
  const tcp = await kept(tcpServer());
  const thread = new ProbeThread(() => undefined);
  const out = thread.probe({ kind: 'http', address: '127.0.0.1', port: silent.port, timeoutMs: 5000 });
  await silent.connected(1);
  thread.close();
  assert.deepEqual(verdict(await out), { ok: false, error: 'the agent stopped its health checks' });
  assert.equal((await thread.probe({ kind: 'tcp', address: '127.0.0.1', port: tcp.port, timeoutMs: 1000 })).ok, true);
});
