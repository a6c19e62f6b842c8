/*
 * A new backend is pending (not up) until its first check, which decides
 * alone; a backend whose state is known keeps it. Mock timers drive the
 * schedule (no sleeps); the probes are real, against loopback ports.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { type BackendHealth, FIRST_CHECK_SPREAD_MS, type HealthCheckSpec, HealthChecker, type HealthTarget } from '../../src/health/index.js';
import { type TestServer, tcpServer } from './servers.js';

const CHECK: HealthCheckSpec = { type: 'tcp', intervalMs: 2000, timeoutMs: 1000, rise: 3, fall: 3 };
const SERVICE = '198.18.100.1:80/tcp';

const target = (server: TestServer, extra: Partial<HealthTarget> = {}): HealthTarget => ({
  service: SERVICE,
  endpoint: `127.0.0.1:${server.port}`,
  address: '127.0.0.1',
  port: server.port,
  check: CHECK,
  ...extra,
});

/** A port where nothing listens: a server's, closed again. */
async function closedPort(): Promise<TestServer> {
  const server = await tcpServer();
  await server.stop();
  return server;
}

/** Resolves with the next n 'change' events (no timer: mock timers would hold one forever; the test's timeout bounds it). */
function changes(checker: HealthChecker, n: number): Promise<BackendHealth[]> {
  const seen: BackendHealth[] = [];
  return new Promise((resolve) => {
    const onChange = (health: BackendHealth) => {
      seen.push(health);
      if (seen.length < n) return;
      checker.off('change', onChange);
      resolve(seen);
    };
    checker.on('change', onChange);
  });
}

/* The next result's 'check': it comes once the result's flip, if any, is published (isUp and status show it). */
const nextCheck = (checker: HealthChecker) => new Promise<BackendHealth>((resolve) => checker.once('check', (health: BackendHealth) => resolve(health)));

const LIMIT = { timeout: 10_000 };

describe('HealthChecker: the first check', () => {
  const cleanup: (() => unknown)[] = [];
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(async () => {
    mock.timers.reset();
    for (const fn of cleanup.splice(0)) await fn();
  });
  const track = <T extends { stop(): unknown }>(x: T): T => {
    cleanup.push(() => x.stop());
    return x;
  };

  it('keeps a new target pending, not up, until its first check; a refused one goes down without ever being up', LIMIT, async () => {
    const dead = await closedPort();
    const live = track(await tcpServer());
    const checker = track(new HealthChecker({ random: () => 0.5 }));
    const everUp = new Set<string>();
    checker.on('change', (h: BackendHealth) => h.up && everUp.add(h.endpoint));
    checker.setTargets([target(dead), target(live)]);

    for (const h of checker.status()) assert.deepEqual([h.up, h.pending], [false, true], `${h.endpoint} before any check`);
    assert.equal(checker.isUp(SERVICE, `127.0.0.1:${dead.port}`), false);
    assert.equal(checker.isUp(SERVICE, `127.0.0.1:${live.port}`), false, 'not up before its check, though it listens');

    /* Just before the first checks are due, nothing has been probed. */
    const firstAt = 0.5 * Math.min(CHECK.intervalMs, FIRST_CHECK_SPREAD_MS);
    mock.timers.tick(firstAt - 1);
    assert.equal(live.connections.length, 0);
    assert.ok(checker.status().every((h) => h.pending));

    const decided = changes(checker, 2);
    mock.timers.tick(1);
    const byEndpoint = new Map((await decided).map((h) => [h.endpoint, h]));
    const deadHealth = byEndpoint.get(`127.0.0.1:${dead.port}`)!;
    const liveHealth = byEndpoint.get(`127.0.0.1:${live.port}`)!;
    assert.deepEqual([deadHealth.up, deadHealth.pending, deadHealth.consecutiveFailures], [false, false, 1], 'one failure: down');
    assert.match(deadHealth.lastError!, /ECONNREFUSED/);
    assert.deepEqual(
      [liveHealth.up, liveHealth.pending, liveHealth.consecutiveSuccesses],
      [true, false, 1],
      `one pass is enough (rise ${CHECK.rise} applies only once it is down)`,
    );
    assert.deepEqual([...everUp], [`127.0.0.1:${live.port}`], 'the refused backend was never up');
  });

  it('after a failed first check, a pending-then-down target needs rise passes like any down one', LIMIT, async () => {
    const server = await closedPort();
    cleanup.push(() => server.stop());
    const checker = track(new HealthChecker({ random: () => 0 }));
    checker.setTargets([target(server)]);
    const down = changes(checker, 1);
    mock.timers.tick(0);
    assert.equal((await down)[0]!.up, false);

    await server.start();
    const up = changes(checker, 1);
    for (let i = 1; i <= CHECK.rise; i++) {
      /* Each check's result arrives before the next is due: wait for it, then move the clock. */
      const checked = nextCheck(checker);
      mock.timers.tick(CHECK.intervalMs);
      assert.equal((await checked).consecutiveSuccesses, i);
      assert.equal(checker.status()[0]!.up, i === CHECK.rise, `after ${i} passes`);
    }
    assert.equal((await up)[0]!.consecutiveSuccesses, CHECK.rise);
  });

  it('probes a pending target within FIRST_CHECK_SPREAD_MS, not a whole interval later', LIMIT, async () => {
    const server = track(await tcpServer());
    const checker = track(new HealthChecker({ random: () => 0.999 }));
    checker.setTargets([target(server, { check: { ...CHECK, intervalMs: 30_000, timeoutMs: 1000 } })]);
    const up = changes(checker, 1);
    mock.timers.tick(FIRST_CHECK_SPREAD_MS);
    assert.equal((await up)[0]!.up, true);
    assert.equal(server.connections.length, 1);
  });

  it('a target known up (the maps carry its flows) stays up through fall - 1 failures, then goes down', LIMIT, async () => {
    const server = await closedPort();
    const checker = track(new HealthChecker({ random: () => 0 }));
    const everDown: boolean[] = [];
    checker.on('change', (h: BackendHealth) => everDown.push(!h.up));
    checker.setTargets([target(server, { initialUp: true })]);
    assert.deepEqual([checker.status()[0]!.up, checker.status()[0]!.pending], [true, false]);
    for (let i = 1; i < CHECK.fall; i++) {
      const checked = nextCheck(checker);
      mock.timers.tick(i === 1 ? 0 : CHECK.intervalMs);
      assert.equal((await checked).consecutiveFailures, i);
      assert.equal(checker.isUp(SERVICE, `127.0.0.1:${server.port}`), true, `still up after ${i} failures`);
    }
    const down = changes(checker, 1);
    mock.timers.tick(CHECK.intervalMs);
    assert.equal((await down)[0]!.up, false);
    assert.deepEqual(everDown, [true]);
  });

  it('a target known down starts down and is not pending', LIMIT, () => {
    const checker = track(new HealthChecker({ random: () => 0 }));
    checker.setTargets([{ service: SERVICE, endpoint: '127.0.0.1:9', address: '127.0.0.1', port: 9, check: CHECK, initialUp: false }]);
    assert.deepEqual([checker.status()[0]!.up, checker.status()[0]!.pending], [false, false]);
  });
});
