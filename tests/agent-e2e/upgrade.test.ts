/*
 * Upgrades keep every flow: under steady traffic (new short HTTP connections
 * all the time, and long-lived line connections), the agent of build A is
 * stopped and the agent of build B started on the same pins. B's flow entry
 * differs from A's (B is built with the header's test-only switch
 * SLUICE_TEST_FLOW_GENERATION: its last field is syn_seq_v2, not syn_seq)
 * and B runs a flow table of another size, so libbpf alone would refuse A's
 * pinned flow table ("parameter mismatch"). B migrates it: zero requests fail,
 * zero long connections break, every flow is carried with its counters (which
 * only grow), and the configuration is the same after as before.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type FlowValue, SluiceCounter, type TrafficCounters, openPinnedMaps } from '@sluice/dataplane';
import { variantObjectPath } from '@sluice/dataplane/test-helpers';
import { type BulkReport, type Hold, type HoldReport, hold, http, stopAll } from '@sluice/testbed/client-traffic';
import { AgentProcess, sluiceOk } from '@sluice/testbed/agent-process';
import { type Network, setUpNetwork, tearDownNetwork } from './support/network.ts';
import { fullState } from './support/state.ts';

const VIP = '198.18.100.1';
const HTTP = 8080;
const LINE = 9000;
const LONG_CONNECTIONS = 6;
/* AgentProcess.start runs A with a 65,536-flow table; B gets another size. */
const FLOWS_A = 65536;
const FLOWS_B = 131072;
/* Traffic runs UPGRADE_AFTER_MS, through the upgrade, and AFTER_UPGRADE_MS more; never past MAX_TRAFFIC_MS. */
const UPGRADE_AFTER_MS = 4_000;
const AFTER_UPGRADE_MS = 5_000;
const MAX_TRAFFIC_MS = 60_000;
const BATCH = 100;
const MAX_BATCHES = 400;
const T = { timeout: 180_000 };

let network: Network;
let agent: AgentProcess | undefined;

before(async () => {
  network = await setUpNetwork();
  agent = await AgentProcess.start(network);
  const backends = network.topology.backends;
  await sluiceOk(network, ['service', 'add', `${VIP}:${HTTP}/tcp`, '--algorithm', 'round-robin']);
  await sluiceOk(network, ['service', 'add', `${VIP}:${LINE}/tcp`, '--algorithm', 'least-connections']);
  for (const [i, b] of backends.entries()) {
    await sluiceOk(network, ['backend', 'add', `${VIP}:${HTTP}/tcp`, `${b.ipv4}:${HTTP}`, '--weight', String(i + 1)]);
    await sluiceOk(network, ['backend', 'add', `${VIP}:${LINE}/tcp`, `${b.ipv4}:${LINE}`]);
  }
});

after(async () => {
  try {
    await agent?.stopAndTeardown();
  } finally {
    await tearDownNetwork();
  }
});

/** New short connections in bounded batches until stop() (or the hard cap); every result summed. */
async function steadyTraffic(control: { stop: boolean }): Promise<{ sent: number; failed: number; failures: Record<string, number> }> {
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

/** What the pinned maps say about traffic: the long connections' flows, every flow's count, the counters. */
function trafficState() {
  const pinned = openPinnedMaps(network.pinDir);
  try {
    const { maps } = pinned;
    const long = new Map<string, FlowValue>();
    let flows = 0;
    for (const [key, value] of maps.flows.entries()) {
      flows++;
      if (key.dst_port === LINE) long.set(`${key.src.toString('hex')}:${key.src_port}`, value);
    }
    const services = new Map<number, TrafficCounters>([...maps.serviceCounters.sums()].filter(([, c]) => c.packets > 0n));
    const backends = new Map<number, TrafficCounters>([...maps.backendCounters.sums()].filter(([, c]) => c.packets > 0n));
    return {
      flowTableSize: maps.flows.maxEntries,
      flows,
      long,
      services,
      backends,
      handover: maps.handover.lookup(0),
      handoverDrops: maps.globalCounters.lookupSum(SluiceCounter.CNT_DROP_HANDOVER),
    };
  } finally {
    pinned.close();
  }
}

const FLOW_COUNTERS = ['packets', 'bytes', 'reply_packets', 'reply_bytes'] as const;
const TRAFFIC_COUNTERS = [...FLOW_COUNTERS, 'new_flows'] as const;

function assertGrew(label: string, fields: readonly string[], before: object, after: object | undefined): void {
  assert.ok(after, `${label}: gone after the upgrade`);
  const was = before as Record<string, bigint>;
  const now = after as Record<string, bigint>;
  for (const field of fields) assert.ok(now[field]! >= was[field]!, `${label}.${field}: ${was[field]} before, ${now[field]} after (counters only grow)`);
}

test('upgrade to a build whose flow entry differs, under steady traffic: nothing fails, nothing breaks, every flow and counter carried', T, async () => {
  const objectB = variantObjectPath('SLUICE_TEST_FLOW_GENERATION');
  const holds: Hold[] = [];
  let reports: (HoldReport | undefined)[] = [];
  const control = { stop: false };
  try {
    for (let i = 0; i < LONG_CONNECTIONS; i++) holds.push(await hold(network.topology.client, VIP, LINE, { seconds: 60, intervalMs: 100 }));
    const stateBefore = await fullState(network);
    const traffic = steadyTraffic(control);
    await new Promise((r) => setTimeout(r, UPGRADE_AFTER_MS));

    const stoppedAt = Date.now();
    await agent!.stop();
    /* Agent A is gone: nothing ends flows now, so the table only grows until B copies it. */
    const before = trafficState();
    agent = await AgentProcess.start(network, ['--object', objectB, '--flow-table-size', String(FLOWS_B)]);
    const upgradeMs = Date.now() - stoppedAt;
    assert.match(agent.output, /migrating pinned map "flows": value added syn_seq_v2; value dropped syn_seq; max_entries 65536 -> 131072/);
    const migrated = /migrated map "flows": (\d+) entr(?:y|ies) copied, (\d+) more after the swap/.exec(agent.output);
    assert.ok(migrated, `no migration report in the agent's log:\n${agent.output}`);
    const carried = Number(migrated[1]) + Number(migrated[2]);

    await new Promise((r) => setTimeout(r, AFTER_UPGRADE_MS));
    const afterUpgrade = trafficState();
    control.stop = true;
    const shortTraffic = await traffic;
    const stateAfter = await fullState(network);
    assert.ok(
      holds.every((h) => h.alive()),
      'every long connection is still open',
    );
    reports = await stopAll(holds);

    const broken = reports.filter((r) => !r || r.broken || r.errors > 0);
    const summary = {
      requestsSent: shortTraffic.sent,
      requestsFailed: shortTraffic.failed,
      longConnections: LONG_CONNECTIONS,
      longBroken: broken.length,
      linesExchanged: reports.reduce((n, r) => n + (r?.received ?? 0), 0),
      flowsBefore: before.flows,
      flowsCarried: carried,
      handoverDrops: Number(afterUpgrade.handoverDrops),
      upgradeMs,
    };
    console.log(`upgrade result: ${JSON.stringify(summary)}`);
    assert.equal(shortTraffic.failed, 0, `failed requests: ${JSON.stringify(shortTraffic.failures)}`);
    assert.ok(shortTraffic.sent >= 10 * BATCH, `too little traffic to mean anything: ${shortTraffic.sent}`);
    assert.equal(broken.length, 0, `broken long connections: ${JSON.stringify(broken)}`);

    assert.equal(before.flowTableSize, FLOWS_A);
    assert.equal(afterUpgrade.flowTableSize, FLOWS_B, "build B's flow table is the one pinned now");
    assert.equal(afterUpgrade.handover, 0n, 'the handover ended with the last copy');
    assert.ok(carried >= before.flows, `flows carried: ${carried}, in the table when A stopped: ${before.flows}`);
    assert.equal(before.long.size, LONG_CONNECTIONS);
    for (const [flow, was] of before.long) {
      const now = afterUpgrade.long.get(flow);
      assert.ok(now, `long connection ${flow}: its flow is gone after the upgrade`);
      assert.equal(now.backend_id, was.backend_id, `long connection ${flow} kept its backend`);
      assert.equal(now.created_ns, was.created_ns, `long connection ${flow} is the same flow`);
      assertGrew(`flow ${flow}`, FLOW_COUNTERS, was, now);
      assert.ok(now.packets > was.packets, `flow ${flow} carried traffic after the upgrade`);
    }
    for (const [id, was] of before.services) assertGrew(`service ${id}`, TRAFFIC_COUNTERS, was, afterUpgrade.services.get(id));
    for (const [id, was] of before.backends) assertGrew(`backend ${id}`, TRAFFIC_COUNTERS, was, afterUpgrade.backends.get(id));
    assert.deepEqual(stateAfter, stateBefore, 'configuration after the upgrade equals the configuration before');
  } finally {
    control.stop = true;
    await stopAll(holds);
  }
});
