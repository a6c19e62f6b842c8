/* `pnpm bench [--quick]`: how long and how often to measure. */
import { parseArgs } from 'node:util';
import type { Section } from './record.js';

const SECTIONS: readonly Section[] = ['packet-cost', 'control-plane', 'forwarding'];

/* The commit issue 14 starts from: packet-cost times its data plane beside this checkout's unless told otherwise. */
export const DEFAULT_BASELINE = 'd2af2c5';

export const BENCH_USAGE = `usage: pnpm bench [--quick] [--only ${SECTIONS.join(',')}] [--baseline COMMIT|none]
  --quick     fewer and shorter runs
  --only      run only these sections (comma-separated), print the table, write bench/results/only-SECTIONS.{json,md}
  --baseline  packet-cost also times bpf/ of this commit, built in a temporary directory, beside this
              checkout's (default ${DEFAULT_BASELINE}; none: no baseline)
  --help    print this and exit
Needs root; makes and removes its own namespaces (slbench, slbn-*).`;

export interface BenchOptions {
  quick: boolean;
  /** `--only forwarding` (or packet-cost, control-plane): run those sections, print, write only-<sections>.{json,md}. */
  only: string[] | undefined;
  /** The commit whose data plane packet-cost times beside this checkout's, or undefined for none. */
  baseline: string | undefined;
  /** Runs per packet-cost figure (the issue asks for at least 5). */
  packetRuns: number;
  /** Rounds of every forwarding scenario (each round measures all of them). */
  forwardingRounds: number;
  /** Seconds per wrk measurement. */
  httpSeconds: number;
  /** Seconds per UDP generator run. */
  udpSeconds: number;
  /** Samples of each control-plane latency. */
  controlSamples: number;
  /** Seconds of idle agent observed (alone, then again with the console open). */
  idleSeconds: number;
  /** Seconds the agent with a million flows is observed: its GC sweeps about every 20 s, and the figure wants at least two of them. */
  gcSeconds: number;
  /** Console loads (fresh browser contexts) per load figure; the issue asks for at least 3. */
  consoleLoads: number;
}

/** The options, or 'help' for --help. An unknown option or section is an error that shows the usage. */
export function benchOptions(argv: string[]): BenchOptions | 'help' {
  let values: { quick?: boolean; only?: string; baseline?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { quick: { type: 'boolean' }, only: { type: 'string' }, baseline: { type: 'string' }, help: { type: 'boolean' } },
    }));
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${BENCH_USAGE}`);
  }
  if (values.help) return 'help';
  const quick = values.quick ?? false;
  const only = values.only === undefined ? undefined : values.only.split(',').filter(Boolean);
  const unknown = only?.filter((name) => !(SECTIONS as readonly string[]).includes(name)) ?? [];
  if (only?.length === 0 || unknown.length > 0) throw new Error(`--only takes sections out of ${SECTIONS.join(', ')}; got "${values.only}"\n${BENCH_USAGE}`);
  const baselineArg = values.baseline ?? DEFAULT_BASELINE;
  if (!/^[A-Za-z0-9._/-]+$/.test(baselineArg) || baselineArg.startsWith('-'))
    throw new Error(`--baseline takes a commit (hash, branch or tag) or none; got "${baselineArg}"\n${BENCH_USAGE}`);
  const baseline = baselineArg === 'none' ? undefined : baselineArg;
  return quick
    ? {
        quick,
        only,
        baseline,
        packetRuns: 5,
        forwardingRounds: 1,
        httpSeconds: 3,
        udpSeconds: 1,
        controlSamples: 11,
        idleSeconds: 10,
        gcSeconds: 50,
        consoleLoads: 3,
      }
    : {
        quick,
        only,
        baseline,
        packetRuns: 7,
        forwardingRounds: 3,
        httpSeconds: 8,
        udpSeconds: 3,
        controlSamples: 21,
        idleSeconds: 30,
        gcSeconds: 75,
        consoleLoads: 5,
      };
}
