/* The idle agent's CPU and memory, read from /proc (goal: < 2 % of a core, < 150 MB). */
import { readFileSync } from 'node:fs';
import type { BenchRecord } from '../record.js';
import { round } from '../stats.js';
import { sleep } from '../processes.js';

const CLOCK_TICKS = 100; /* USER_HZ on Linux */

function cpuTicks(pid: number): number {
  /* Fields after the command name: utime and stime are the 12th and 13th. */
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

export async function measureAgentIdle(pid: number, seconds: number): Promise<BenchRecord[]> {
  const startTicks = cpuTicks(pid);
  const start = Date.now();
  await sleep(seconds * 1000);
  const cpu = ((cpuTicks(pid) - startTicks) / CLOCK_TICKS / ((Date.now() - start) / 1000)) * 100;
  const rss = rssMb(pid);
  const note = 'agent with its data plane loaded and attached, no API server or console yet (they do not exist); BPF map memory is kernel memory, not in RSS';
  return [
    { section: 'control-plane', name: 'control-plane/agent-idle/cpu', value: round(cpu, 3), unit: '% of a core', referenceName: 'goal', referenceValue: 2, ratio: round(cpu / 2, 3), runs: 1, spread: 0, note: `${seconds} s of /proc/<pid>/stat; ${note}` },
    { section: 'control-plane', name: 'control-plane/agent-idle/rss', value: round(rss), unit: 'MB', referenceName: 'goal', referenceValue: 150, ratio: round(rss / 150, 3), runs: 1, spread: 0, note },
  ];
}
