/*
 * The program's own CPU time per packet while it forwards live traffic
 * (issue 14): the kernel's BPF run-time statistics (kernel.bpf_stats_enabled)
 * count every run of the program attached to an interface and the time it
 * took, so the difference over one UDP run divided by the runs in it is the
 * live cost per packet. packet-cost times the same program through
 * BPF_PROG_TEST_RUN; each method checks the other (pairLiveWithTestRun).
 * The statistic is global and costs a little per run, so it is on only
 * while the bench measures and is put back as it was.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { BenchRecord } from '../record.js';
import { mustRun } from '../processes.js';

const STATS_SYSCTL = '/proc/sys/kernel/bpf_stats_enabled';

export interface RunStats {
  programId: number;
  runTimeNs: number;
  runs: number;
}

let restoreTo: string | undefined;

/** Turns the statistics on; bpfStatsRestore puts the old setting back. */
export function bpfStatsOn(): void {
  restoreTo ??= readFileSync(STATS_SYSCTL, 'utf8').trim();
  writeFileSync(STATS_SYSCTL, '1');
}

export function bpfStatsRestore(): void {
  if (restoreTo === undefined) return;
  writeFileSync(STATS_SYSCTL, restoreTo);
  restoreTo = undefined;
}

/** The run-time statistics of the XDP program attached to `ifname` in `ns`. */
export async function xdpRunStats(ns: string, ifname: string): Promise<RunStats> {
  const { stdout } = await mustRun('ip', ['-n', ns, '-j', '-d', 'link', 'show', 'dev', ifname]);
  const programId = (JSON.parse(stdout) as Array<{ xdp?: { prog?: { id: number } } }>)[0]?.xdp?.prog?.id;
  if (!programId) throw new Error(`no XDP program on ${ifname} in ${ns}`);
  const shown = JSON.parse((await mustRun('bpftool', ['-j', 'prog', 'show', 'id', String(programId)])).stdout) as { run_time_ns?: number; run_cnt?: number };
  if (shown.run_cnt === undefined) throw new Error(`program ${programId} has no run-time statistics (is ${STATS_SYSCTL} 1?)`);
  return { programId, runTimeNs: shown.run_time_ns ?? 0, runs: shown.run_cnt };
}

/** ns per run between two readings of the same program, or NaN if it did not run. */
export function nsPerRun(before: RunStats, after: RunStats): number {
  if (before.programId !== after.programId) throw new Error(`the program changed during the run (${before.programId} -> ${after.programId})`);
  const runs = after.runs - before.runs;
  return runs > 0 ? (after.runTimeNs - before.runTimeNs) / runs : Number.NaN;
}

/* The live figure beside the test-run figure of the same kind of packet (established IPv4 UDP, as many flows). */
const TEST_RUN_OF: Record<string, string> = {
  'forwarding/live-cpu/udp-1K-flows/sluice': 'packet-cost/established/1K-flows/ipv4-udp',
  'forwarding/live-cpu/udp-64K-flows/sluice': 'packet-cost/established/64K-flows/ipv4-udp',
};

/** Fills each live record's reference with its test-run figure from the same bench run, when there is one. */
export function pairLiveWithTestRun(records: BenchRecord[]): void {
  for (const live of records) {
    if (!live.name.startsWith('forwarding/live-cpu/') || live.value === null) continue;
    const wanted = TEST_RUN_OF[live.name];
    const testRun = records.find((r) => r.name === wanted);
    if (!testRun || testRun.value === null) {
      const missing = wanted ? `${wanted} was not measured in this run` : 'packet-cost has no case of this table size';
      live.note = `${live.note ?? ''}; no test-run figure to compare with: ${missing}`;
      continue;
    }
    live.referenceName = `BPF_PROG_TEST_RUN, ${wanted}`;
    live.referenceValue = testRun.value;
    live.ratio = Math.round((live.value / testRun.value) * 1000) / 1000;
  }
}
