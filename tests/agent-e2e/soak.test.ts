/*
 * Chaos under load, two minutes of it (bench/soak: `pnpm soak` runs it for
 * as long as asked): steady HTTP, UDP and long-lived connections through the
 * real agent while a seeded random sequence adds, removes, reweights,
 * drains, parks in maintenance, switches algorithms, SIGKILLs and restarts
 * the agent, reloads its config file and kills backend servers. No request
 * may fail unless its backend's server was dead at that moment, no
 * long-lived connection may break unless its backend was killed or removed
 * (bench/soak/attribution.ts states the rules), and the agent's RSS must not
 * climb like a leak. The seed is fixed so a failure replays:
 * `pnpm soak --seed <seed> --seconds 120`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runSoak } from '@sluice/bench/soak/soak';
import { soakSummary } from '@sluice/bench/soak/summary';
import { OPERATION_KINDS } from '@sluice/bench/soak/operations';
import { type HoldEnd, type RequestFailure, excuseForHold, excuseForRequest } from '@sluice/bench/soak/attribution';
import { type RssSample, memoryReport } from '@sluice/bench/soak/memory';
import { tagged } from '@sluice/testbed/tag';

const SEED = Number(process.env.SLUICE_SOAK_SEED ?? 20261203);
const SECONDS = 120;
/*
 * Two minutes cannot show a slow leak: the agent's RSS rises by about 20 MB
 * and falls again every 40-50 s as V8 grows and collects its heap, so a
 * least-squares slope over one or two such cycles reads anywhere within
 * about +-15 MB/min with no leak at all. This bound fails a leak of tens of
 * MB a minute (a flow, request or health probe kept per event); the slow
 * ones are the 30-minute run's to find (see bench/README.md).
 */
const MAX_SLOPE_MB_PER_MINUTE = 30;
const T = { timeout: (SECONDS + 180) * 1000 };

test('the attribution rules: only a killed server excuses a failed request; only a killed or removed backend excuses a broken connection', () => {
  const failure = (backend: string | null, start: number, end: number): RequestFailure => ({
    kind: 'http',
    service: 's',
    sport: 10000,
    start,
    end,
    reason: 'ECONNREFUSED',
    backend,
    backendEndpoint: null,
  });
  const deaths = [{ backend: 'be1', from: 1000, to: 3000 }];
  assert.equal(excuseForRequest(failure(null, 1500, 1600), deaths), null, 'no flow: Sluice dropped it');
  assert.match(excuseForRequest(failure('be1', 1500, 1600), deaths)!, /be1 killed/);
  assert.match(excuseForRequest(failure('be1', 900, 1000), deaths)!, /be1 killed/, 'killed the moment it failed');
  assert.equal(excuseForRequest(failure('be1', 3001, 3100), deaths), null, 'after the server came back');
  assert.equal(excuseForRequest(failure('be2', 1500, 1600), deaths), null, 'another backend died');

  const hold = (backend: string, broken: boolean): HoldEnd => ({
    id: '0.0',
    service: 'line',
    backend,
    openedAt: 500,
    t: 4000,
    broken,
    reason: 'ECONNRESET',
    sent: 10,
    received: 9,
  });
  const removals = [
    { backend: 'be2', service: 'line', from: 2000, to: null },
    { backend: 'be3', service: 'other', from: 2000, to: null },
  ];
  assert.equal(excuseForHold(hold('be4', true), deaths, removals), null, 'drained, reweighted, restarted: still Sluice');
  assert.match(excuseForHold(hold('be1', true), deaths, removals)!, /be1 killed/);
  assert.match(excuseForHold(hold('be2', true), deaths, removals)!, /be2 removed from line/);
  assert.equal(excuseForHold(hold('be3', true), deaths, removals), null, 'removed from another service only');
  assert.match(excuseForHold(hold('be4', false), deaths, removals)!, /ended by the soak/);
});

test('the memory slope is pooled within agent processes: a restart is no fall, a leak in each is one slope', () => {
  /* Two processes, each growing 3 MB/min from a different base, with a 2 MB sawtooth on top. */
  const samples: RssSample[] = [];
  for (const [series, base, t0] of [
    [0, 150, 0],
    [1, 120, 300_000],
  ] as const) {
    for (let age = 0; age <= 240; age += 2)
      samples.push({ series, pid: 1 + series, t: t0 + age * 1000, age, rssMb: base + (3 * age) / 60 + (age % 10 === 0 ? 2 : 0) });
  }
  const report = memoryReport(samples, 30);
  assert.equal(report.series, 2);
  assert.ok(Math.abs(report.slopeMbPerMinute! - 3) < 0.2, `slope ${report.slopeMbPerMinute}`);
  assert.equal(report.maxMb, Math.max(...samples.map((s) => s.rssMb)));
  assert.equal(memoryReport(samples.slice(0, 10), 30).slopeMbPerMinute, null, 'nothing after the warm-up');
});

test(`two minutes of chaos under load (seed ${SEED}): nothing attributable fails or breaks, memory does not run away`, T, async () => {
  const result = await runSoak({
    seed: SEED,
    seconds: SECONDS,
    operations: 1000,
    prefix: tagged('slsq'),
    runDir: tagged('/run/sluice-soaktest'),
    log: (m) => console.log(`soak: ${m}`),
  });
  for (const line of soakSummary(result, { maxSlopeMbPerMinute: MAX_SLOPE_MB_PER_MINUTE })) console.log(line);

  const kinds = new Set(result.operations.map((op) => op.kind));
  assert.deepEqual(
    OPERATION_KINDS.filter((k) => !kinds.has(k)),
    [],
    'every kind of operation ran at least once',
  );
  assert.deepEqual(
    result.operations.filter((op) => op.error),
    [],
    'every operation succeeded',
  );
  assert.deepEqual(result.trafficErrors, [], 'the traffic and the flow lookups reported no errors');
  const t = result.traffic as Record<string, { ok: number; failed: number }>;
  assert.ok(t.http!.ok > 2000 && t.udp!.ok > 1000, `too little traffic to mean anything: ${JSON.stringify(t)}`);
  assert.ok(result.deaths.length > 0, 'a backend server was killed');
  assert.deepEqual(
    result.failures.filter((f) => !f.excuse),
    [],
    'no failed request is attributable to Sluice',
  );
  assert.deepEqual(
    result.holds.brokenList.filter((h) => !h.excuse),
    [],
    'no long-lived connection was broken by Sluice',
  );
  assert.ok(result.holds.opened >= 6, `long-lived connections opened: ${result.holds.opened}`);
  const slope = result.memory.slopeMbPerMinute;
  assert.ok(slope !== null, `too few memory samples after the warm-up: ${JSON.stringify(result.memory)}`);
  assert.ok(slope < MAX_SLOPE_MB_PER_MINUTE, `agent RSS climbs ${slope.toFixed(1)} MB/min: ${JSON.stringify(result.memory)}`);
});
