/*
 * Restart without loss: while the test network carries steady traffic (new
 * short HTTP connections all the time, and long-lived line connections),
 * the agent is killed with SIGKILL and started again. Zero requests fail,
 * zero long connections break, and the state after equals the state before.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type BulkReport, type Hold, type HoldReport, hold, http, stopAll } from '../support/client-traffic.ts';
import { AgentProcess, sluiceOk } from './support/agent-process.ts';
import { type Network, setUpNetwork, tearDownNetwork } from './support/network.ts';
import { fullState } from './support/state.ts';
import { waitForEligible } from './support/api-client.ts';

const VIP = '198.18.100.1';
const VIP6 = '2001:db8:100::1';
const HTTP = 8080;
const LINE = 9000;
const LONG_CONNECTIONS = 6;
/* Traffic runs KILL_AFTER_MS, through the restart, and AFTER_RESTART_MS more; never past MAX_TRAFFIC_MS. */
const KILL_AFTER_MS = 4_000;
const AFTER_RESTART_MS = 5_000;
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

/** New short connections in bounded batches until stop() (or the hard cap); every result summed. */
async function steadyTraffic(control: { stop: boolean }): Promise<{ sent: number; failed: number; batches: number; failures: Record<string, number> }> {
  const total = { sent: 0, failed: 0, batches: 0, failures: {} as Record<string, number> };
  const deadline = Date.now() + MAX_TRAFFIC_MS;
  while (!control.stop && Date.now() < deadline && total.batches < MAX_BATCHES) {
    const report: BulkReport = await http(network.topology.client, VIP, HTTP, { count: BATCH, concurrency: 4 });
    total.batches++;
    total.sent += report.succeeded + report.failed;
    total.failed += report.failed;
    for (const [reason, n] of Object.entries(report.failures)) total.failures[reason] = (total.failures[reason] ?? 0) + n;
  }
  return total;
}

test('SIGKILL and restart under steady traffic: nothing fails, nothing breaks, nothing changes', T, async () => {
  const holds: Hold[] = [];
  let reports: (HoldReport | undefined)[] = [];
  try {
    for (let i = 0; i < LONG_CONNECTIONS; i++) holds.push(await hold(network.topology.client, VIP, LINE, { seconds: 60, intervalMs: 100 }));
    const before = await fullState(network);
    const control = { stop: false };
    const traffic = steadyTraffic(control);
    await new Promise((r) => setTimeout(r, KILL_AFTER_MS));

    const killedAt = Date.now();
    await agent!.kill();
    agent = await AgentProcess.start(network);
    const restartMs = Date.now() - killedAt;
    assert.match(agent.output, /adopted \d+ pinned maps/);
    await new Promise((r) => setTimeout(r, AFTER_RESTART_MS));
    control.stop = true;
    const shortTraffic = await traffic;
    const after = await fullState(network);
    assert.ok(holds.every((h) => h.alive()), 'every long connection is still open');
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
    assert.ok(shortTraffic.sent >= 10 * BATCH, `too little traffic to mean anything: ${shortTraffic.sent}`);
    assert.equal(broken.length, 0, `broken long connections: ${JSON.stringify(broken)}`);
    assert.deepEqual(after, before, 'state after the restart equals the state before');
  } finally {
    await stopAll(holds);
  }
});
