/*
 * Per-packet cost (issue 5, part 1), from the bench's side: the worker runs
 * inside the bench namespace, where the FIB can answer; it is given a hard
 * deadline like every other child of the bench.
 */
import { fileURLToPath } from 'node:url';
import type { BenchOptions } from '../options.js';
import type { BenchRecord } from '../record.js';
import { inNamespace } from '../processes.js';
import { BENCH_NAMESPACE } from './network.js';
import { buildBaselineObject } from './baseline.js';

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

export async function runPacketCost(options: BenchOptions, log: (m: string) => void): Promise<BenchRecord[]> {
  /* Timing a baseline beside the candidate about doubles the section's time. */
  const baseline = options.baseline ? buildBaselineObject(options.baseline) : undefined;
  if (baseline) log(`packet-cost: baseline ${options.baseline} = ${baseline.commit}, built at ${baseline.objectPath}`);
  const deadlineMs = (options.quick ? 150_000 : 600_000) * (baseline ? 2 : 1);
  const result = await inNamespace(
    BENCH_NAMESPACE,
    process.execPath,
    ['--import', 'tsx', WORKER, JSON.stringify({ runs: options.packetRuns, quick: options.quick, baseline })],
    deadlineMs,
  );
  for (const line of result.stderr.split('\n').filter(Boolean)) log(line.replace(/^\[packet-cost\] /, ''));
  if (result.code !== 0)
    throw new Error(`packet-cost worker ${result.timedOut ? `timed out after ${deadlineMs} ms` : `failed (${result.code ?? result.signal})`}`);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as BenchRecord[];
}
