/*
 * The agent with a million flows tracked (issue 14), in the order the
 * figures need: the flows written, its GC's CPU while nobody pages, a few
 * pages of the connection table, then its memory with the page snapshot.
 * The control-plane section and gc-load-run.ts (these figures alone) both
 * run it.
 */
import { type BenchRecord, againstGoal } from '../record.js';
import type { AgentHandle } from '../sluice-agent.js';
import { rssMb } from './agent-idle.js';
import { PAGE_FLOWS, measureConnectionPage, writePageFlows } from './connection-page.js';
import { measureGcLoad } from './gc-load.js';

const RSS_WITH_FLOWS_GOAL_MB = 300;

export async function measureMillionFlows(
  agent: AgentHandle,
  client: ReturnType<AgentHandle['client']>,
  options: { gcSeconds: number; pages: number },
  log: (m: string) => void,
): Promise<BenchRecord[]> {
  const writeMs = await writePageFlows(client, log);
  /* First, while no page was ever asked for: the agent's steady state, whose sweeps build no page snapshot. */
  const records = [await measureGcLoad(agent.pid, options.gcSeconds, PAGE_FLOWS)];
  const rssBeforePages = rssMb(agent.pid);
  records.push(...(await measureConnectionPage(client, options.pages, writeMs, log)));
  records.push(
    againstGoal(
      'control-plane',
      'control-plane/agent-rss/with-1M-flows',
      'MB',
      RSS_WITH_FLOWS_GOAL_MB,
      rssMb(agent.pid),
      `VmRSS of the agent right after the connection pages (${rssBeforePages.toFixed(1)} MB before them), with ${PAGE_FLOWS} flows tracked and its snapshot index of them in memory (not idle: its GC sweeps a million flows)`,
    ),
  );
  return records;
}
