/*
 * The agent's CPU while it tracks a million flows and nothing else happens
 * (issue 14): its conntrack GC sweeps the flows table (in a worker thread, at
 * most a fortieth of the time: the next sweep waits forty times the last one's
 * duration, conntrack-gc.ts); goal under 5 % of a core on average. Measured
 * before any page of connections is asked for, so its sweeps build no page
 * snapshot, as in an agent nobody pages. Its memory with the million flows is
 * the control-plane/agent-rss/with-1M-flows figure.
 */
import { type BenchRecord, againstGoal } from '../record.js';
import { sleep } from '../processes.js';
import { cpuTicks } from './agent-idle.js';

const CLOCK_TICKS = 100; /* USER_HZ on Linux */
const GOAL_PERCENT = 5;
const SAMPLE_MS = 250;
/* A sample interval with the agent above half a core is a sweep (a million flows keep one thread busy for about a second). */
const BUSY_SHARE = 0.5;

interface Sample {
  atMs: number;
  ticks: number;
}

const cpuShare = (from: Sample, to: Sample) => (to.ticks - from.ticks) / CLOCK_TICKS / ((to.atMs - from.atMs) / 1000);

/**
 * The agent's average CPU over whole GC cycles: from the end of one sweep to
 * the end of the last one seen in `seconds`, so the figure holds no partial
 * cycle (a window that caught one sweep more or less would read several
 * points off). With fewer than two sweeps seen, the whole window, said so.
 */
export async function measureGcLoad(pid: number, seconds: number, flows: number): Promise<BenchRecord> {
  const samples: Sample[] = [];
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    samples.push({ atMs: performance.now(), ticks: cpuTicks(pid) });
    await sleep(SAMPLE_MS);
  }
  const busy = (i: number) => cpuShare(samples[i]!, samples[i + 1]!) > BUSY_SHARE;
  const sweepEnds: number[] = [];
  for (let i = 0; i + 2 < samples.length; i++) if (busy(i) && !busy(i + 1)) sweepEnds.push(i + 1);
  const whole = sweepEnds.length >= 2;
  const from = samples[whole ? sweepEnds[0]! : 0]!;
  const to = samples[whole ? sweepEnds.at(-1)! : samples.length - 1]!;
  const cycles = sweepEnds.length - 1;
  return againstGoal(
    'control-plane',
    'control-plane/conntrack-gc/with-1M-flows/cpu',
    '% of a core',
    GOAL_PERCENT,
    cpuShare(from, to) * 100,
    `utime+stime of the whole agent (all threads) from /proc/<pid>/stat, ${flows} flows tracked, no traffic and no API calls (no connection page asked for yet, so the sweeps build no page snapshot): its GC sweeps; ` +
      (whole
        ? `over ${cycles} whole GC ${cycles === 1 ? 'cycle' : 'cycles'} (${((to.atMs - from.atMs) / 1000).toFixed(1)} s from the end of one sweep to the end of another; sweeps seen as ${SAMPLE_MS} ms samples above half a core) within ${seconds} s watched`
        : `over all ${seconds} s watched: fewer than two sweeps were seen, so the figure may hold part of a cycle`),
    3,
  );
}
