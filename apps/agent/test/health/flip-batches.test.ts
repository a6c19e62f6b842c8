/*
 * HealthChecker publishes flips in batches (health-checker.ts header): the
 * flips of a service that are queued by the next turn show all at once, so
 * the agent's reconcile on the first 'change' sees every one of them, and a
 * turn publishes at most FLIP_SERVICES_PER_TURN services. The probes answer
 * when the test releases them, all in one turn: with real probes, whether
 * their results land in the same turn depended on the machine's load (a
 * loaded CI run split them and failed the third test).
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { type BackendHealth, FLIP_SERVICES_PER_TURN, HealthChecker, type HealthTarget, type ProbeResult } from '../../src/health/index.js';

const CHECK = { type: 'tcp' as const, intervalMs: 5_000, timeoutMs: 1_000, rise: 1, fall: 1 };

/* Targets named as backends of their own. */
const targets = (services: number, perService: number): HealthTarget[] =>
  Array.from({ length: services * perService }, (_, i) => ({
    service: `198.18.100.${Math.floor(i / perService) + 1}:80/tcp`,
    endpoint: `198.19.0.${i + 1}:80`,
    address: '127.0.0.1',
    port: 9,
    check: CHECK,
  }));

/*
 * Probes that pass when released. `released(count)` waits until `count`
 * probes have started, then answers them all in one synchronous step, so
 * every result is recorded before the next turn publishes. `beforePublish`
 * runs on that turn ahead of the publish (its setImmediate is queued first).
 */
function heldProbes() {
  const waiting: ((result: ProbeResult) => void)[] = [];
  let started = () => {};
  return {
    probe: () =>
      new Promise<ProbeResult>((resolve) => {
        waiting.push(resolve);
        started();
      }),
    async released(count: number, beforePublish?: () => void): Promise<void> {
      if (waiting.length < count) await new Promise<void>((resolve) => (started = () => waiting.length === count && resolve()));
      if (beforePublish) setImmediate(beforePublish);
      for (const answer of waiting.splice(0)) answer({ ok: true, latencyMs: 0.1, error: null });
    },
  };
}

/** At each 'change': how many of `all` are up then. */
function upAtEachChange(checker: HealthChecker, all: HealthTarget[], count: number): Promise<number[]> {
  const seen: number[] = [];
  return new Promise((resolve) => {
    checker.on('change', function onChange(health: BackendHealth) {
      assert.equal(checker.isUp(health.service, health.endpoint), health.up, 'told only once isUp shows it');
      seen.push(all.filter((t) => checker.isUp(t.service, t.endpoint)).length);
      if (seen.length < count) return;
      checker.off('change', onChange);
      resolve(seen);
    });
  });
}

describe('HealthChecker: flips in batches', () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0)) await fn();
  });
  /* A checker whose first checks all start at once (phase 0), on held probes. */
  const setUp = () => {
    const probes = heldProbes();
    const checker = new HealthChecker({ random: () => 0, probe: probes.probe });
    cleanup.push(() => checker.stop());
    return { probes, checker };
  };

  it("a service's flips that land together show together: at its first 'change' every one is up", async () => {
    const { probes, checker } = setUp();
    const all = targets(1, 16);
    const changes = upAtEachChange(checker, all, all.length);
    checker.setTargets(all);
    assert.equal(all.filter((t) => checker.isUp(t.service, t.endpoint)).length, 0, 'pending: none up');
    await probes.released(all.length);
    assert.deepEqual(await changes, new Array(16).fill(16));
  });

  it(`a turn publishes the flips of ${FLIP_SERVICES_PER_TURN} services; the rest follow on the next`, async () => {
    const { probes, checker } = setUp();
    const services = FLIP_SERVICES_PER_TURN + 2;
    const all = targets(services, 2);
    const changes = upAtEachChange(checker, all, all.length);
    checker.setTargets(all);
    await probes.released(all.length);
    const first = 2 * FLIP_SERVICES_PER_TURN;
    assert.deepEqual(await changes, [...new Array(first).fill(first), ...new Array(all.length - first).fill(all.length)]);
  });

  it('a flip queued for a target removed, or turned to check type none, before the publish is dropped', async () => {
    const { probes, checker } = setUp();
    const [removed, unchecked, kept] = targets(1, 3) as [HealthTarget, HealthTarget, HealthTarget];
    const told: string[] = [];
    checker.on('change', (h: BackendHealth) => told.push(`${h.endpoint} ${h.up ? 'up' : 'down'} ${h.checkType}`));
    checker.setTargets([removed, unchecked, kept]);
    const published = new Promise((resolve) => checker.once('check', resolve));
    await probes.released(3, () => {
      assert.deepEqual(told, [], 'three flips queued, none published yet');
      checker.setTargets([{ ...unchecked, check: { ...CHECK, type: 'none' } }, kept]);
    });
    await published;
    assert.deepEqual(told, [`${unchecked.endpoint} up none`, `${kept.endpoint} up tcp`]);
    assert.deepEqual(
      checker.status().map((h) => [h.endpoint, h.up, h.pending]),
      [
        [unchecked.endpoint, true, false],
        [kept.endpoint, true, false],
      ],
    );
  });
});
