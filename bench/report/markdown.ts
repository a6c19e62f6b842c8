/* The readable summary: goals in plain words, then every figure. */
import type { BenchRecord } from '../record.js';
import type { GoalResult } from './goals.js';

export interface RunInfo {
  startedAt: string;
  seconds: number;
  quick: boolean;
  kernel: string;
  cpus: number;
  commit: string;
  /** The commit whose data plane packet-cost timed beside this one (--baseline), if any. */
  baseline?: string | null;
}

const cell = (v: unknown) => (v === null || v === undefined ? '—' : String(v)).replace(/\|/g, '\\|');

export function resultsTable(records: readonly BenchRecord[]): string {
  const lines = ['| figure | value | unit | reference | ref. value | ratio | runs | spread |', '|---|---:|---|---|---:|---:|---:|---:|'];
  for (const r of records) {
    lines.push(
      `| ${cell(r.name)} | ${cell(r.value)} | ${cell(r.unit)} | ${cell(r.referenceName)} | ${cell(r.referenceValue)} | ${cell(r.ratio)} | ${r.runs} | ${cell(r.spread)} |`,
    );
  }
  return lines.join('\n');
}

export function renderMarkdown(records: readonly BenchRecord[], goals: readonly GoalResult[], info: RunInfo): string {
  const held = goals.filter((g) => g.holds === true).length;
  const missed = goals.filter((g) => g.holds === false).length;
  const unknown = goals.filter((g) => g.holds === null).length;
  const out: string[] = [
    `# Sluice benchmark${info.quick ? ' (quick)' : ''}`,
    '',
    `Run ${info.startedAt}, ${Math.round(info.seconds)} s, kernel ${info.kernel}, ${info.cpus} CPUs, commit ${info.commit}${info.baseline ? `, packet-cost baseline ${info.baseline}` : ''}. Every figure was measured beside its reference in this same run; only the ratios compare across runs.`,
    '',
    `![chart](latest.svg)`,
    '',
    `## Goals: ${held} hold, ${missed} missed, ${unknown} not measured`,
    '',
    '| goal | verdict |',
    '|---|---|',
    ...goals.map((g) => `| ${cell(g.text)} | ${cell(g.verdict)} |`),
    '',
    '## How it was measured',
    '',
    "- **Per-packet cost**: `BPF_PROG_TEST_RUN` in a namespace with routes and permanent neighbours (so `bpf_fib_lookup` succeeds and the program takes its full XDP_REDIRECT path). Because `repeat` does not restore the packet, each iteration goes through a harness (`packet-cost/harness.bpf.c`) that writes the frame back, gives it its flow, and tail-calls the program. Per run: the empty program (floor), harness → empty, harness → Sluice, back to back; cost = floor + (harness→Sluice − harness→empty). Times are the kernel's own per-iteration averages (whole ns); the wall clock is unusable because every XDP test run pays a fixed ~15 ms. Counters are checked after every timed run to prove the packets took the intended path (a failure is written into the figure's note). 64-byte frames (IPv6 TCP: 74). `packet-cost/verifier/processed-instructions` is the candidate's `verified_insns` (bpf_prog_info) against the verifier's limit of 1,000,000: the room left before a change can no longer load (the baseline build's count is in its note).",
    "- **Forwarding**: the project testbed (client → LB → 3 backends, namespaces only). All four scenarios are measured in every round: plain kernel routing to one backend, nftables DNAT (numgen round robin), HAProxy 2.6 in TCP mode (2 threads) and Sluice (XDP native on every LB interface, round robin). HTTP: wrk -t2 -c32 against nginx from Debian on each backend (one worker each, a 3-byte body from memory), with `Connection: close` and with keep-alive. UDP: a live-frames XDP generator in the client namespace sends 64-byte datagrams to a port nobody listens on; each backend is a sink: an XDP program on its interface (`forwarding/udp-sink.bpf.c`) counts them and drops 63 in 64 before the kernel builds an skb, passing the 64th up its stack (checksum checked), so the backends' UDP stacks do not set the pace. Generator, LB and backends share the machine's 2 CPUs, so these figures are whole-pipeline throughput. Sluice's UDP service is also measured in dsr and in ipip (`sluice-dsr`, `sluice-ipip`, compared with Sluice in nat): the same flows, generator and seconds, the backends holding the VIP on their loopback and, in ipip, running Sluice's decapsulation in TC behind the sink, which counts datagrams by their inner header; the sample must reach each backend's UDP layer (the figure is scaled by the share of it that did), and the balancer's counters must show no drop and as many forwarded datagrams as the sinks counted (each figure's note says so, or what went wrong).",
    "- **Control plane**: table builds call the agent's `buildLookupTable`. Change latency (`visible-after/*`) is a tRPC mutation over the running agent's unix socket (the typed client the CLI uses) until the agent's pinned services map, polled on the bench's own fd, shows the flipped lookup table or new algorithm, timed after 20 untimed changes of the same kind (the agent's code then optimised, as in an agent in service; each note gives the p50 of the first 5 after the start); `visible-after/reconciler-only/*` is zod parse + `Reconciler.apply` alone, in process. Connection pages: 1M flows (one entry each) written with raw batch updates into the agent's pinned flows map, then `connections.list` over the socket, by cursor, once the agent's snapshot index shows them. Idle agent: the real agent on the forwarding testbed's LB (health checks against the live backends, GC, stats sampler, API socket), CPU from /proc/<pid>/stat and RSS from /proc/<pid>/status; then the same window again with the console open on its overview (`with-console-open/*`).",
    '- **Console**: the production build of apps/web (`next start` on 127.0.0.1), proxying to the real agent\'s unix socket, driven by headless Chromium (Playwright) after logging in at /login. First load: the overview in a fresh browser context (cold cache) from navigation start until the first live sample, the services table, drops and health are shown. Connections: the connections screen with the agent\'s million flows, from navigation until the first 100 rows are in the table, and "Next page" from the click until the next 100 rows are. Times are taken in the page with performance.now(); no goals.',
    "- **Baseline** (`--baseline COMMIT`, default d2af2c5, where issue 14 starts): bpf/ of that commit is taken out of git into a temporary directory and built with its own Makefile; the worker loads it beside this checkout's build, each with its own maps, sets both up alike and, in every run, times both right after the same empty and harness floors, taking turns going first. `…/vs-baseline` figures give this build's cost over the baseline's (median of per-run ratios). `packet-cost/reply-vs-forward/*` is the reply path's median over the forward path's with the same number of flows, both from this run.",
    '- **ratio** is the median of per-run ratios; **spread** is (max − min) / median of the per-run values.',
    '',
    '## All figures',
    '',
    resultsTable(records),
    '',
    '## Notes per figure',
    '',
    ...records.filter((r) => r.note).map((r) => `- \`${r.name}\`: ${r.note}`),
    '',
  ];
  return out.join('\n');
}
