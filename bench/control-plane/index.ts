/*
 * Control-plane timings (issue 5, part 3): table builds in process; the
 * running agent's change latency and idle cost in the bench namespace;
 * figures that need parts that do not exist yet are reported as not measured.
 */
import type { BenchOptions } from '../options.js';
import { type BenchRecord, notMeasured } from '../record.js';
import { cleanBpffs, startAgent, stopAgent, type AgentHandle } from '../sluice-agent.js';
import { BACKEND_FACING, BENCH_NAMESPACE, CLIENT_FACING } from '../packet-cost/network.js';
import { measureTableBuild } from './table-build.js';
import { INITIAL_STATE, latencyConfig, measureReconcileLatency } from './reconcile-latency.js';
import { measureAgentIdle } from './agent-idle.js';

/** Needs the bench namespace up (packet-cost/network.ts) and the bench bpffs prepared. */
export async function runControlPlane(options: BenchOptions, log: (m: string) => void): Promise<BenchRecord[]> {
  const records: BenchRecord[] = [];
  log('table builds');
  records.push(...measureTableBuild(options.controlSamples));
  log('change-to-visible latencies');
  records.push(...(await measureReconcileLatency(options.controlSamples)));
  cleanBpffs();

  let agent: AgentHandle | undefined;
  try {
    log('starting the agent in the bench namespace');
    agent = await startAgent(BENCH_NAMESPACE, [CLIENT_FACING, BACKEND_FACING], latencyConfig(INITIAL_STATE));
    log(`idle agent for ${options.idleSeconds} s`);
    records.push(...(await measureAgentIdle(agent.pid, options.idleSeconds)));
  } catch (error) {
    const reason = (error as Error).message.split('\n').filter((l) => /sluice:|error/i.test(l)).join(' ') || (error as Error).message.split('\n')[0]!;
    records.push(
      notMeasured('control-plane', 'control-plane/agent-idle/cpu', '% of a core', `the agent did not start in this tree: ${reason}`),
      notMeasured('control-plane', 'control-plane/agent-idle/rss', 'MB', `the agent did not start in this tree: ${reason}`),
    );
  } finally {
    await stopAgent(agent);
    cleanBpffs();
  }
  records.push(
    notMeasured('control-plane', 'control-plane/connection-page/100-of-1M-flows', 'ms', 'the agent has no conntrack view or API yet (DESIGN: conntrack/ paged view); see flow-table-scan for the raw read of the table'),
    notMeasured('control-plane', 'control-plane/agent-idle/with-console-open', '% of a core', 'the console (apps/web) does not exist yet'),
    notMeasured('control-plane', 'control-plane/console/first-load', 'ms', 'the console (apps/web) does not exist yet'),
    notMeasured('control-plane', 'control-plane/console/connection-table-page', 'ms', 'the console (apps/web) does not exist yet'),
  );
  return records;
}
