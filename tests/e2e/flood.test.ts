/*
 * A bounded SYN flood from spoofed sources inside the test network, while
 * long-lived connections and a stream of real new connections run through
 * the same round-robin service (issue 9, part 4). The tables are small (2,048
 * entries each), so the flood sends several tables' worth of SYNs: before the
 * half-open table, those SYNs evicted the long-lived flows and their next
 * line went by hash to another backend, which reset it.
 *
 * The flood: tests/e2e/support/syn-flood.c, compiled here with cc, sending
 * from the client namespace through a raw socket, from 126 addresses of the
 * client's own subnet that nobody holds (the backends' SYN-ACKs to them die
 * at the balancer for want of a neighbour), bounded by count, time and SIGTERM.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { spawnIn } from '@sluice/testbed/topology';
import { type Hold, type HoldReport, hold, lineProbe, stopAll } from '@sluice/testbed/client-traffic';
import { Harness } from './support/harness-control.ts';
import { REPO_ROOT, type Network, setUpNetwork, tearDownNetwork } from './support/network.ts';
import { config, service, vipAddress } from './support/services.ts';

const LINE = 9000;
const TABLE_SIZE = 2048;
const LONG_LIVED = 8;
const NEW_CONNECTIONS = 200;
/* The flood: paced, and bounded in count and time whatever the test does. */
const FLOOD = { rate: 4000, maxCount: 200_000, maxSeconds: 40, sourceBase: '198.18.0.128', sources: 126 };
const T = { timeout: 120_000 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let network: Network;
let harness: Harness;
let buildDir: string;

before(async () => {
  buildDir = mkdtempSync(join(tmpdir(), 'sluice-syn-flood-'));
  execFileSync('cc', ['-O2', '-Wall', '-Werror', '-o', join(buildDir, 'syn-flood'), join(REPO_ROOT, 'tests/e2e/support/syn-flood.c')]);
  network = await setUpNetwork();
  harness = await Harness.start(network, { flowTableSize: TABLE_SIZE, halfOpenTableSize: TABLE_SIZE });
});

after(async () => {
  await harness?.stop();
  await tearDownNetwork();
  if (buildDir) rmSync(buildDir, { recursive: true, force: true });
});

interface FloodReport {
  sent: number;
  seconds: number;
  stoppedBy: string;
}

/** Starts the flood in the client namespace; stop() ends it (SIGTERM) and returns its report. */
function startFlood(vip: string): { stop(): Promise<FloodReport> } {
  const child = spawnIn(
    network.topology.client.namespace,
    join(buildDir, 'syn-flood'),
    [vip, String(LINE), FLOOD.sourceBase, String(FLOOD.sources), String(FLOOD.rate), String(FLOOD.maxCount), String(FLOOD.maxSeconds)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      try {
        return JSON.parse(stdout) as FloodReport;
      } catch {
        throw new Error(`syn-flood gave no report (exit ${child.exitCode}): ${stderr}${stdout}`);
      }
    },
  };
}

test("a SYN flood of several tables' worth breaks no long-lived connection, and real new connections succeed", T, async () => {
  const { topology } = network;
  const vip = vipAddress(topology, 'ipv4', 1);
  await harness.apply(config(service(topology, { family: 'ipv4', vip: 1, port: LINE, algorithm: 'round-robin' })));

  const holds: Hold[] = [];
  let flood: ReturnType<typeof startFlood> | undefined;
  let floodReport: FloodReport | undefined;
  let holdReports: (HoldReport | undefined)[] = [];
  try {
    for (let i = 0; i < LONG_LIVED; i++) holds.push(await hold(topology.client, vip, LINE, { seconds: 90, intervalMs: 200 }));
    const before = await harness.counters();

    flood = startFlood(vip);
    /* Let the flood pass both tables' worth before the real connections start. */
    await sleep(1500);
    const probes = await lineProbe(topology.client, vip, LINE, { count: NEW_CONNECTIONS, concurrency: 4 });
    /* The long-lived connections send a few more lines under the flood. */
    await sleep(1000);
    floodReport = await flood.stop();
    flood = undefined;
    const alive = holds.map((h) => h.alive());
    holdReports = await stopAll(holds);
    const afterFlood = await harness.counters();
    const delta = (name: string) => (afterFlood[name] ?? 0) - (before[name] ?? 0);

    console.log(
      `flood: ${floodReport.sent} spoofed SYNs in ${floodReport.seconds} s (${floodReport.stoppedBy}); ` +
        `new connections ${probes.succeeded}/${NEW_CONNECTIONS}; ` +
        `counters: flow_half_open +${delta('flow_half_open')}, flow_promoted +${delta('flow_promoted')}, ` +
        `flow_new +${delta('flow_new')}, reply_packets +${delta('reply_packets')}, pass_no_neighbour +${delta('pass_no_neighbour')}`,
    );

    assert.equal(floodReport.stoppedBy, 'signal', 'the flood ran until the test stopped it (it outlasted the real connections)');
    assert.ok(floodReport.sent >= 4 * TABLE_SIZE, `the flood sent ${floodReport.sent} SYNs, fewer than 4 tables' worth (${4 * TABLE_SIZE})`);
    assert.ok(
      probes.succeeded >= Math.ceil(NEW_CONNECTIONS * 0.99),
      `only ${probes.succeeded} of ${NEW_CONNECTIONS} new connections succeeded: ${JSON.stringify(probes.failures)}`,
    );
    assert.deepEqual(
      alive,
      holds.map(() => true),
      'every long-lived connection was still up when the flood ended',
    );
    for (const [i, report] of holdReports.entries()) {
      assert.ok(report, `long-lived connection ${i} gave no report`);
      assert.equal(report.broken, false, `long-lived connection ${i} broke: ${report.brokenReason}`);
      assert.equal(report.errors, 0, `long-lived connection ${i}: ${report.errorSamples.join('; ')}`);
      assert.ok(report.received >= 10, `long-lived connection ${i} exchanged only ${report.received} lines`);
    }
    /* The counters show the flood: every spoofed SYN opened a half-open flow (a few may repeat a random source port). */
    assert.ok(delta('flow_half_open') >= floodReport.sent * 0.95, `flow_half_open +${delta('flow_half_open')} for ${floodReport.sent} spoofed SYNs`);
    assert.ok(delta('flow_promoted') >= probes.succeeded, `flow_promoted +${delta('flow_promoted')} for ${probes.succeeded} real connections`);
    assert.ok(delta('flow_promoted') < probes.succeeded + floodReport.sent * 0.01, 'spoofed SYNs were not promoted (no handshake completed)');
  } finally {
    if (flood) await flood.stop().catch(() => undefined);
    await stopAll(holds);
  }
});
