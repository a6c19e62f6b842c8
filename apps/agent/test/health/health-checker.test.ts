/* HealthChecker against real loopback servers. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { afterEach, describe, it } from 'node:test';
import { type BackendHealth, type HealthCheckSpec, HealthChecker, type HealthTarget } from '../../src/health/index.js';
import { type TestServer, httpServer, silentServer, tcpServer } from './servers.js';

const FAST: HealthCheckSpec = { type: 'tcp', intervalMs: 100, timeoutMs: 50, rise: 2, fall: 3 };
/* Timers and the event loop on a busy 2-core CI machine. */
const MARGIN_MS = 400;

const target = (server: TestServer, check: Partial<HealthCheckSpec> = {}, endpoint = `127.0.0.1:${server.port}`): HealthTarget => ({
  service: '198.18.100.1:80/tcp',
  endpoint,
  address: '127.0.0.1',
  port: server.port,
  check: { ...FAST, ...check },
});

function nextChange(checker: HealthChecker, timeoutMs: number): Promise<BackendHealth> {
  return Promise.race([
    once(checker, 'change').then(([health]) => health as BackendHealth),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no change within ${timeoutMs} ms`)), timeoutMs).unref()),
  ]);
}

/* Resolves once `condition` holds: tested now and after every probe result ('check'). */
function until(checker: HealthChecker, what: string, condition: () => boolean, timeoutMs = 2000): Promise<void> {
  if (condition()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      checker.off('check', onCheck);
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    function onCheck() {
      if (!condition()) return;
      clearTimeout(timer);
      checker.off('check', onCheck);
      resolve();
    }
    checker.on('check', onCheck);
  });
}

/* Every first check at once (phase 0), so a witness's checks measure whole intervals. */
const NO_SPREAD = () => 0;

describe('HealthChecker', () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0)) await fn();
  });
  const track = <T extends { stop(): unknown }>(x: T): T => {
    cleanup.push(() => x.stop());
    return x;
  };

  it('marks a stopped TCP backend down within interval x fall + timeout, and up after rise successes', async () => {
    const server = track(await tcpServer());
    const checker = track(new HealthChecker());
    checker.setTargets([target(server)]);
    const [health] = checker.status();
    assert.equal(health!.up, false, 'a new target is not up before its first check');
    assert.equal(health!.pending, true);
    assert.deepEqual(checker.statusOf(health!.service, health!.endpoint), health, 'one backend read alone is its row of status()');
    assert.equal(checker.statusOf(health!.service, '198.51.100.9:80'), undefined, 'a backend that is no target has no status');
    const first = await nextChange(checker, 2000);
    assert.deepEqual([first.up, first.pending, first.consecutiveSuccesses], [true, false, 1], 'one pass brings a new target up');

    const stoppedAt = performance.now();
    await server.stop();
    const down = await nextChange(checker, 2000);
    const downMs = performance.now() - stoppedAt;
    const bound = FAST.intervalMs * FAST.fall + FAST.timeoutMs;
    assert.equal(down.up, false);
    assert.equal(down.consecutiveFailures, FAST.fall);
    assert.match(down.lastError!, /connection refused \(ECONNREFUSED\)/);
    assert.ok(downMs <= bound + MARGIN_MS, `down after ${downMs.toFixed(0)} ms; bound ${bound} ms (+${MARGIN_MS} margin)`);
    assert.ok(downMs >= FAST.intervalMs * (FAST.fall - 1), `not before fall checks (${downMs.toFixed(0)} ms)`);
    assert.equal(checker.isUp(down.service, down.endpoint), false);

    const startedAt = performance.now();
    await server.start();
    const up = await nextChange(checker, 2000);
    const upMs = performance.now() - startedAt;
    assert.equal(up.up, true);
    assert.equal(up.consecutiveSuccesses, FAST.rise);
    assert.equal(up.lastError, null);
    assert.ok(upMs <= FAST.intervalMs * FAST.rise + FAST.timeoutMs + MARGIN_MS, `up after ${upMs.toFixed(0)} ms`);
    assert.ok(up.lastLatencyMs !== null && up.lastLatencyMs < FAST.timeoutMs);
  });

  it('checks the HTTP status range', async () => {
    let status = 200;
    const server = track(await httpServer(() => status));
    const checker = track(new HealthChecker());
    checker.setTargets([target(server, { type: 'http', path: '/healthz' })]);
    await until(checker, 'two successes', () => checker.status()[0]!.consecutiveSuccesses >= 2);

    status = 503;
    const down = await nextChange(checker, 2000);
    assert.equal(down.up, false);
    assert.equal(down.lastError, 'HTTP status 503, expected 200-399');

    /* The same 503 is healthy when the range says so. */
    checker.setTargets([target(server, { type: 'http', path: '/healthz', expectStatus: [500, 503] })]);
    const up = await nextChange(checker, 2000);
    assert.equal(up.up, true);

    status = 302;
    checker.setTargets([target(server, { type: 'http', path: '/healthz' })]);
    await until(checker, 'redirect counted healthy', () => checker.status()[0]!.consecutiveSuccesses >= 3);
    assert.equal(checker.status()[0]!.up, true);
  });

  it('sends GET with the path and no keep-alive', async () => {
    const { createServer } = await import('node:http');
    const seen: { method?: string; url?: string; connection?: string }[] = [];
    const server = createServer((req, res) => {
      seen.push({ method: req.method, url: req.url, connection: req.headers.connection });
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => server.close(r)));
    const port = (server.address() as { port: number }).port;
    const checker = track(new HealthChecker());
    checker.setTargets([{ service: 's', endpoint: `127.0.0.1:${port}`, address: '127.0.0.1', port, check: { ...FAST, type: 'http', path: '/status?x=1' } }]);
    /* The server sees the request before the probe gets its answer. */
    await until(checker, 'a request', () => seen.length >= 1);
    assert.deepEqual(seen[0], { method: 'GET', url: '/status?x=1', connection: 'close' });
  });

  it('bounds each probe by its timeout (a server that accepts and never answers)', async () => {
    const server = track(await silentServer());
    const checker = track(new HealthChecker());
    checker.setTargets([target(server, { type: 'http', timeoutMs: 80, intervalMs: 150, fall: 1, rise: 1 })]);
    await until(checker, 'a failed probe', () => checker.status()[0]!.consecutiveFailures >= 2);
    const health = checker.status()[0]!;
    assert.equal(health.up, false);
    assert.equal(health.lastError, 'no HTTP response within 80 ms');
    assert.ok(health.lastLatencyMs! >= 79 && health.lastLatencyMs! < 80 + MARGIN_MS, `probe took ${health.lastLatencyMs} ms`);
    /* A TCP check of the same server passes: it does accept. */
    checker.setTargets([target(server, { type: 'tcp', timeoutMs: 80, intervalMs: 150, fall: 1, rise: 1 })]);
    const up = await nextChange(checker, 2000);
    assert.equal(up.up, true);
  });

  it('keeps the state of unchanged targets across setTargets and drops removed ones', async () => {
    const a = track(await tcpServer());
    const b = track(await tcpServer());
    const checker = track(new HealthChecker());
    checker.setTargets([target(a), target(b)]);
    await until(checker, 'successes', () => checker.status().every((h) => h.consecutiveSuccesses >= 3));
    const before = checker.status().find((h) => h.endpoint.endsWith(`:${a.port}`))!;
    checker.setTargets([target(a)]);
    checker.setTargets([target(a)]);
    const after = checker.status();
    assert.equal(after.length, 1);
    assert.ok(after[0]!.consecutiveSuccesses >= before.consecutiveSuccesses, 'counters carried on');
    assert.equal(after[0]!.lastCheckAt !== null, true);
    assert.equal(checker.isUp('198.18.100.1:80/tcp', `127.0.0.1:${b.port}`), true, 'an unknown backend reads as up');
  });

  it("setTargetsOf replaces the named services' targets only, and refuses a target of another service", async () => {
    const a = track(await tcpServer());
    const b = track(await tcpServer());
    const c = track(await tcpServer());
    const checker = track(new HealthChecker());
    const other = '198.18.100.2:80/tcp';
    checker.setTargets([target(a), { ...target(b), service: other }]);
    await until(checker, 'successes', () => checker.status().every((h) => h.consecutiveSuccesses >= 2));
    const bBefore = checker.status().find((h) => h.service === other)!;
    /* The first service loses a and gains c; the other service is not named, so b stays as it was. */
    checker.setTargetsOf(new Set(['198.18.100.1:80/tcp']), [target(c)]);
    const now = checker.status();
    assert.deepEqual(now.map((h) => h.endpoint).sort(), [`127.0.0.1:${b.port}`, `127.0.0.1:${c.port}`].sort());
    const bAfter = now.find((h) => h.service === other)!;
    assert.ok(bAfter.consecutiveSuccesses >= bBefore.consecutiveSuccesses, "the other service's target kept its counters");
    assert.equal(now.find((h) => h.endpoint.endsWith(`:${c.port}`))!.pending, true, 'the new target starts pending');
    assert.throws(() => checker.setTargetsOf(new Set([other]), [target(a)]), /outside the services being set/);
    assert.equal(checker.status().length, 2, 'a refused call changes nothing');
    /* A service named with no targets loses them all; a's checks stopped with its removal. */
    checker.setTargetsOf(new Set([other]), []);
    assert.deepEqual(
      checker.status().map((h) => h.endpoint),
      [`127.0.0.1:${c.port}`],
    );
    await until(checker, 'c up', () => checker.status()[0]!.up);
    /* Three more intervals of c's checks: a's would have come in them. */
    const aProbes = a.connections.length;
    const cProbes = c.connections.length;
    await until(checker, 'three more checks of c', () => c.connections.length >= cProbes + 3);
    assert.equal(a.connections.length, aProbes, 'the removed target is probed no more');
  });

  it('starts a target down when told to, and brings it up after rise successes', async () => {
    const server = track(await tcpServer());
    const checker = track(new HealthChecker());
    checker.setTargets([{ ...target(server), initialUp: false }]);
    assert.equal(checker.status()[0]!.up, false);
    const up = await nextChange(checker, 2000);
    assert.equal(up.up, true);
    assert.equal(up.consecutiveSuccesses, FAST.rise);
  });

  it('never probes a target with check type none and keeps it up', async () => {
    const server = track(await tcpServer());
    const witness = track(await tcpServer());
    const checker = track(new HealthChecker({ random: NO_SPREAD }));
    checker.setTargets([target(server, { type: 'none' }), target(witness)]);
    /* A checked neighbour's third result: two whole intervals in which a probed target would have been probed twice. */
    const witnessHealth = () => checker.status().find((h) => h.endpoint === `127.0.0.1:${witness.port}`)!;
    await until(checker, 'three checks of the witness', () => witnessHealth().consecutiveSuccesses >= 3);
    assert.equal(witness.connections.length >= 3, true);
    assert.equal(server.connections.length, 0);
    assert.equal(checker.status()[0]!.up, true);
    assert.equal(checker.status()[0]!.pending, false);
    assert.equal(checker.status()[0]!.lastCheckAt, null);
  });

  it('spreads the first checks of many targets over the interval', async (t) => {
    const server = track(await tcpServer());
    const checker = track(new HealthChecker());
    const interval = 600;
    const targets = Array.from({ length: 200 }, (_, i) => target(server, { intervalMs: interval, timeoutMs: 100 }, `10.0.${i >> 8}.${i & 255}:80`));
    /*
     * The delays the checker asks for, not when probes happen to land: a
     * loaded machine delays timers and would bunch the arrivals.
     */
    const delays: number[] = [];
    const realSetTimeout = globalThis.setTimeout;
    t.mock.method(globalThis, 'setTimeout', ((callback: () => void, ms?: number) => {
      delays.push(ms ?? 0);
      return realSetTimeout(callback, ms);
    }) as typeof setTimeout);
    checker.setTargets(targets);
    t.mock.restoreAll();
    checker.stop();
    assert.equal(delays.length, 200, 'one first check scheduled per target');
    const buckets = new Array<number>(6).fill(0);
    for (const delay of delays) {
      assert.ok(delay >= 0 && delay < interval, `a first check ${delay} ms out, past the ${interval} ms interval`);
      buckets[Math.floor(delay / (interval / 6))]!++;
    }
    /* Uniform would put about 33 in each sixth (sd ~5); all at once would put 200 in one. */
    assert.ok(Math.max(...buckets) < 70, `first checks per sixth of the interval: ${buckets.join(', ')}`);
  });

  it('stops probing after stop()', async () => {
    const server = track(await tcpServer());
    const checker = new HealthChecker({ random: NO_SPREAD });
    checker.setTargets([target(server)]);
    await server.connected(1);
    /* A second checker on the same schedule keeps running: its results mark the intervals that pass. */
    const witness = track(await tcpServer());
    const running = track(new HealthChecker({ random: NO_SPREAD }));
    checker.stop();
    const seen = server.connections.length;
    running.setTargets([target(witness)]);
    await until(running, 'three checks of the witness', () => running.status()[0]!.consecutiveSuccesses >= 3);
    assert.ok(server.connections.length <= seen + 1, `${server.connections.length - seen} connections after stop()`);
  });
});
