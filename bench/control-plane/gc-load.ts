/*
 * The agent's CPU while it tracks a million flows and nothing else happens
 * (issue 14): its conntrack GC sweeps the flows table (in a worker thread, at
 * most a tenth of the time: the next sweep waits ten times the last one's
 * duration, conntrack-gc.ts); goal under 5 % of a core on average. Its
 * memory with the million flows is the control-plane/agent-rss/with-1M-flows figure.
 */
import { type BenchRecord, againstGoal } from '../record.js';
import { sleep } from '../processes.js';
import { cpuTicks } from './agent-idle.js';

const CLOCK_TICKS = 100; /* USER_HZ on Linux */
const GOAL_PERCENT = 5;

export async function measureGcLoad(pid: number, seconds: number, flows: number): Promise<BenchRecord> {
  const startTicks = cpuTicks(pid);
  const start = Date.now();
  await sleep(seconds * 1000);
  const cpu = ((cpuTicks(pid) - startTicks) / CLOCK_TICKS / ((Date.now() - start) / 1000)) * 100;
  return againstGoal(
    'control-plane',
    'control-plane/conntrack-gc/with-1M-flows/cpu',
    '% of a core',
    GOAL_PERCENT,
    cpu,
    `utime+stime of the whole agent (all threads) from /proc/<pid>/stat over ${seconds} s right after the connection pages, ${flows} flows tracked, no traffic and no API calls: its GC sweeps`,
    3,
  );
}
