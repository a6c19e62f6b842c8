/* `pnpm bench [--quick]`: how long and how often to measure. */
export interface BenchOptions {
  quick: boolean;
  /** `--only forwarding` (or packet-cost, control-plane): run those sections, print, write no results. */
  only: string[] | undefined;
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
  /** Console loads (fresh browser contexts) per load figure; the issue asks for at least 3. */
  consoleLoads: number;
}

export function benchOptions(argv: readonly string[]): BenchOptions {
  const quick = argv.includes('--quick');
  const at = argv.indexOf('--only');
  const only = at >= 0 ? (argv[at + 1] ?? '').split(',').filter(Boolean) : undefined;
  return quick
    ? { quick, only, packetRuns: 5, forwardingRounds: 1, httpSeconds: 3, udpSeconds: 1, controlSamples: 11, idleSeconds: 10, consoleLoads: 3 }
    : { quick, only, packetRuns: 7, forwardingRounds: 3, httpSeconds: 8, udpSeconds: 3, controlSamples: 21, idleSeconds: 30, consoleLoads: 5 };
}
