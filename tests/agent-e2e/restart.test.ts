/*
 * Restart without loss: while the test network carries steady traffic (new
 * short HTTP connections all the time, and long-lived line connections),
 * the agent is killed with SIGKILL and started again. Zero requests fail,
 * zero long connections break, and the state after equals the state before.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { after, before, test } from 'node:test';
import { type BulkReport, type Hold, type HoldReport, hold, http, stopAll } from '@sluice/testbed/client-traffic';
import { AgentProcess, sluiceOk } from '@sluice/testbed/agent-process';
import { type Network, setUpNetwork, tearDownNetwork } from './support/network.ts';
import { fullState } from './support/state.ts';
import { waitForEligible } from '@sluice/testbed/api-client';

const VIP = '198.18.100.1';
const VIP6 = '2001:db8:100::1';
const HTTP = 8080;
const LINE = 9000;
const LONG_CONNECTIONS = 6;
/*
 * Events, not fixed times: traffic runs until a batch has finished and every
 * long connection has exchanged KILL_AFTER_LINES lines; the agent is killed
 * and restarted; traffic runs on until AFTER_RESTART_BATCHES batches started
 * after the restart have finished, MIN_BATCHES in all, and every long
 * connection has exchanged AFTER_RESTART_LINES more; never past MAX_TRAFFIC_MS.
 */
const KILL_AFTER_BATCHES = 1;
const KILL_AFTER_LINES = 10;
const AFTER_RESTART_BATCHES = 3;
const AFTER_RESTART_LINES = 20;
/* Less would be too little traffic to mean anything. */
const MIN_BATCHES = 10;
/* Longer than the test (a loaded machine takes seconds per batch); the holds are stopped explicitly. */
const HOLD_SECONDS = 120;
const MAX_TRAFFIC_MS = 60_000;
const BATCH = 100;
const MAX_BATCHES = 400;
const T = { timeout: 120_000 };

let network: Network;
let agent: AgentProcess | undefined;

before(async () => {
  network = await setUpNetwork();
  agent = await AgentProcess.start(network);
  const backends = network.topology.backends;
  await sluiceOk(network, ['service', 'add', `${VIP}:${HTTP}/tcp`, '--algorithm', 'round-robin']);
  await sluiceOk(network, ['service', 'add', `${VIP}:${LINE}/tcp`, '--algorithm', 'least-connections']);
  await sluiceOk(network, ['service', 'add', `[${VIP6}]:${HTTP}/tcp`, '--algorithm', 'maglev']);
  for (const [i, b] of backends.entries()) {
    await sluiceOk(network, ['backend', 'add', `${VIP}:${HTTP}/tcp`, `${b.ipv4}:${HTTP}`, '--weight', String(i + 1)]);
    await sluiceOk(network, ['backend', 'add', `${VIP}:${LINE}/tcp`, `${b.ipv4}:${LINE}`]);
    await sluiceOk(network, ['backend', 'add', `[${VIP6}]:${HTTP}/tcp`, `[${b.ipv6}]:${HTTP}`]);
  }
  /* Backends of a checked service take connections after their first passing check. */
  for (const service of [`${VIP}:${HTTP}/tcp`, `${VIP}:${LINE}/tcp`, `[${VIP6}]:${HTTP}/tcp`]) await waitForEligible(network, service, backends.length);
});

after(async () => {
  try {
    await agent?.stopAndTeardown();
  } finally {
    await tearDownNetwork();
  }
});

/** What steadyTraffic is told (stop) and tells: the start times of the batches finished so far, 'batch' after each, 'end'. */
interface TrafficControl {
  stop: boolean;
  finished: number[];
  ended: boolean;
  events: EventEmitter;
}

/** New short connections in bounded batches until stop() (or the hard cap); every result summed. */
async function steadyTraffic(control: TrafficControl): Promise<{ sent: number; failed: number; batches: number; failures: Record<string, number> }> {
  const total = { sent: 0, failed: 0, batches: 0, failures: {} as Record<string, number> };
  const deadline = Date.now() + MAX_TRAFFIC_MS;
  try {
    while (!control.stop && Date.now() < deadline && total.batches < MAX_BATCHES) {
      const startedAt = Date.now();
      const report: BulkReport = await http(network.topology.client, VIP, HTTP, { count: BATCH, concurrency: 4 });
      total.batches++;
      total.sent += report.succeeded + report.failed;
      total.failed += report.failed;
      for (const [reason, n] of Object.entries(report.failures)) total.failures[reason] = (total.failures[reason] ?? 0) + n;
      control.finished.push(startedAt);
      control.events.emit('batch');
    }
  } finally {
    control.ended = true;
    control.events.emit('end');
  }
  return total;
}

/** Resolves once `count` batches that started at or after `since` have finished; rejects if the traffic ends first. */
function batchesSince(control: TrafficControl, since: number, count: number): Promise<void> {
  const seen = () => control.finished.filter((startedAt) => startedAt >= since).length;
  return new Promise((resolve, reject) => {
    const onBatch = () => seen() >= count && done();
    const onEnd = () => done(new Error(`the traffic ended after ${seen()} of ${count} batches since ${new Date(since).toISOString()}`));
    const done = (error?: Error) => {
      control.events.off('batch', onBatch).off('end', onEnd);
      if (error) reject(error);
      else resolve();
    };
    control.events.on('batch', onBatch).on('end', onEnd);
    if (seen() >= count) done();
    else if (control.ended) onEnd();
  });
}

test('SIGKILL and restart under steady traffic: nothing fails, nothing breaks, nothing changes', T, async () => {
  const holds: Hold[] = [];
  let reports: (HoldReport | undefined)[] = [];
  const control: TrafficControl = { stop: false, finished: [], ended: false, events: new EventEmitter() };
  let traffic: ReturnType<typeof steadyTraffic> | undefined;
  try {
    for (let i = 0; i < LONG_CONNECTIONS; i++) holds.push(await hold(network.topology.client, VIP, LINE, { seconds: HOLD_SECONDS, intervalMs: 100 }));
    const before = await fullState(network);
    const trafficStarted = Date.now();
    traffic = steadyTraffic(control);
    await Promise.all([batchesSince(control, trafficStarted, KILL_AFTER_BATCHES), ...holds.map((h) => h.exchanged(KILL_AFTER_LINES))]);

    const killedAt = Date.now();
    await agent!.kill();
    agent = await AgentProcess.start(network);
    const restartMs = Date.now() - killedAt;
    assert.match(agent.output, /adopted \d+ pinned maps/);
    const restartedAt = Date.now();
    await Promise.all([
      batchesSince(control, restartedAt, AFTER_RESTART_BATCHES),
      batchesSince(control, trafficStarted, MIN_BATCHES),
      ...holds.map((h) => h.exchanged(AFTER_RESTART_LINES)),
    ]);
    control.stop = true;
    const shortTraffic = await traffic;
    const after = await fullState(network);
    assert.ok(
      holds.every((h) => h.alive()),
      'every long connection is still open',
    );
    reports = await stopAll(holds);

    const broken = reports.filter((r) => !r || r.broken || r.errors > 0);
    const summary = {
      requestsSent: shortTraffic.sent,
      requestsFailed: shortTraffic.failed,
      batches: shortTraffic.batches,
      longConnections: LONG_CONNECTIONS,
      longBroken: broken.length,
      linesExchanged: reports.reduce((n, r) => n + (r?.received ?? 0), 0),
      restartMs,
    };
    console.log(`restart result: ${JSON.stringify(summary)}`);
    assert.equal(shortTraffic.failed, 0, `failed requests: ${JSON.stringify(shortTraffic.failures)}`);
    assert.ok(shortTraffic.sent >= MIN_BATCHES * BATCH, `too little traffic to mean anything: ${shortTraffic.sent}`);
    assert.equal(broken.length, 0, `broken long connections: ${JSON.stringify(broken)}`);
    assert.deepEqual(after, before, 'state after the restart equals the state before');
  } finally {
    /* Also when a wait above failed: the traffic stops after its current batch. */
    control.stop = true;
    await traffic?.catch(() => undefined);
    await stopAll(holds);
  }
});
