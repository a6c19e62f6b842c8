/*
 * Control-plane timings (issue 5, part 3): table builds in process; the
 * Reconciler's share of a change in process; then the real agent in the
 * bench namespace, driven over its API (tRPC on its unix socket): change
 * latency, and a page of the connection table out of a million flows. The
 * idle agent is measured on the forwarding testbed (agent-idle.ts), where
 * its health checks have live backends. The console (apps/web) is measured
 * against the same agent once it holds the million flows (console/).
 */
import type { BenchOptions } from '../options.js';
import { type BenchRecord, notMeasured } from '../record.js';
import { cleanBpffs, startAgent, stopAgent, type AgentHandle } from '../sluice-agent.js';
import { BACKEND_FACING, BENCH_NAMESPACE, CLIENT_FACING } from '../packet-cost/network.js';
import { measureTableBuild } from './table-build.js';
import { measureAuditEvents } from './audit-events.js';
import { INITIAL_STATE, latencyConfig, measureReconcileLatency } from './reconcile-latency.js';
import { measureApiLatency } from './api-latency.js';
import { measureAtScale } from './at-scale.js';
import { measureFlowSyncLatency } from './flow-sync-latency.js';
import { PAGE_FLOWS, PAGE_FLOW_TABLE_SIZE, PAGE_SERVICE } from './connection-page.js';
import { measureMillionFlows } from './million-flows.js';
import { CONSOLE_FIGURES, measureConsole } from '../console/measure.js';
import { CONSOLE_PASSWORD } from '../console/server.js';

/* Rounds of 40 SYNs per mode: about 1.5 s each. */
const FLOW_SYNC_ROUNDS = 5;
const API_LATENCY_FIGURES = ['reweight', 'drain', 'add-backend', 'algorithm-switch'].map((c) => `control-plane/visible-after/${c}`);
const PAGE_FIGURES = ['by-backend', 'unfiltered'].map((c) => `control-plane/connection-page/100-of-1M-flows/${c}`);

/** The agent's services: the latency service (maglev, 3 backends) and the paging service (30 backends); no health checks (no live backends here). */
export function agentConfig() {
  const latency = latencyConfig(INITIAL_STATE).services[0]!;
  return { services: [{ ...latency, healthCheck: { type: 'none' } }, PAGE_SERVICE] };
}

const firstLine = (error: unknown) => {
  const message = (error as Error).message ?? String(error);
  return (
    message
      .split('\n')
      .filter((l) => /sluice:|error/i.test(l))
      .join(' ') || message.split('\n')[0]!
  );
};

/** The console figures when the agent they need is not there. */
const consoleNotMeasured = (reason: string) => Object.values(CONSOLE_FIGURES).map((n) => notMeasured('control-plane', n, 'ms', reason));

/** Needs the bench namespace up (packet-cost/network.ts) and the bench bpffs prepared. */
export async function runControlPlane(options: BenchOptions, log: (m: string) => void): Promise<BenchRecord[]> {
  const records: BenchRecord[] = [];
  log('table builds');
  records.push(...measureTableBuild(options.controlSamples));
  log('chart markers on a long audit log');
  records.push(...measureAuditEvents(options.controlSamples));
  log('change-to-visible latencies, Reconciler alone');
  records.push(...(await measureReconcileLatency(options.controlSamples)));
  log('flow sync: a new flow on the master to its entry on the standby');
  records.push(...(await measureFlowSyncLatency(FLOW_SYNC_ROUNDS, log)));
  cleanBpffs();
  records.push(...(await measureAtScale(BENCH_NAMESPACE, [CLIENT_FACING, BACKEND_FACING], options.controlSamples, log)));

  let agent: AgentHandle | undefined;
  try {
    log(`starting the agent in ${BENCH_NAMESPACE} (flow table ${PAGE_FLOW_TABLE_SIZE})`);
    try {
      agent = await startAgent(BENCH_NAMESPACE, [CLIENT_FACING, BACKEND_FACING], agentConfig(), {
        flowTableSize: PAGE_FLOW_TABLE_SIZE,
        adminPassword: CONSOLE_PASSWORD,
      });
    } catch (error) {
      const reason = `the agent did not start: ${firstLine(error)}`;
      records.push(
        ...API_LATENCY_FIGURES.map((n) => notMeasured('control-plane', n, 'ms', reason)),
        ...PAGE_FIGURES.map((n) => notMeasured('control-plane', n, 'ms', reason)),
      );
      return [...records, ...consoleNotMeasured(reason)];
    }
    const client = agent.client();
    log('change-to-visible latencies through the agent API');
    try {
      records.push(...(await measureApiLatency(client, options.controlSamples)));
    } catch (error) {
      log(`API latency failed: ${(error as Error).stack}`);
      records.push(...API_LATENCY_FIGURES.map((n) => notMeasured('control-plane', n, 'ms', `failed: ${firstLine(error)}`)));
    }
    log(`${PAGE_FLOWS} flows into the agent's table: its GC with nobody paging, then a page of the connection table`);
    try {
      records.push(...(await measureMillionFlows(agent, client, { gcSeconds: options.gcSeconds, pages: options.controlSamples }, log)));
      log(`the console against the agent with ${PAGE_FLOWS} flows`);
      records.push(...(await measureConsole(agent.socket, { loads: options.consoleLoads, pages: options.controlSamples, flows: PAGE_FLOWS }, log)));
    } catch (error) {
      log(`connection page failed: ${(error as Error).stack}`);
      records.push(...PAGE_FIGURES.map((n) => notMeasured('control-plane', n, 'ms', `failed: ${firstLine(error)}`)));
      records.push(...consoleNotMeasured(`the million flows were not in place: ${firstLine(error)}`));
    }
  } finally {
    await stopAgent(agent);
    cleanBpffs();
  }
  return records;
}
