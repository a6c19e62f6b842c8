/*
 * Forwarding through the test network (issue 5, part 2). Every round
 * measures every scenario on every workload, so each Sluice figure has its
 * peers from the same minutes of the same machine; ratios are per round,
 * then the median is taken. Sluice's UDP service is measured in nat, dsr
 * and ipip in every round, with the same flows from the same generator for
 * the same time; dsr and ipip are compared with nat.
 */
import type { ChildProcess } from 'node:child_process';
import type { BenchOptions } from '../options.js';
import type { BenchRecord } from '../record.js';
import { median, round, spread } from '../stats.js';
import { startHaproxy, stopHaproxy } from './haproxy.js';
import { type NginxBackends, startNginxBackends, stopNginxBackends } from './nginx.js';
import { type HttpResult, runWrk } from './http.js';
import { type BenchNetwork, HTTP_PORT, UDP_PORT, VIPS, forwardingNetworkDown, forwardingNetworkUp } from './network.js';
import { measureIdleAgentOnTestbed } from '../control-plane/agent-idle.js';
import { SCENARIOS, type ScenarioName, scenariosCleanup } from './scenarios.js';
import { installUdpSinks, removeUdpSinks, runUdp, type UdpResult } from './udp.js';
import { type UdpTotals, addUdpTotals, judgeCounters, udpRunProblems } from './udp-checks.js';
import { pinReceivePaths, type ReceiveThreads } from './cpu-layout.js';
import { bpfStatsOn, bpfStatsRestore, nsPerRun, xdpRunStats } from './live-cost.js';

const UDP_FLOWS = [1024, 64 * 1024, 4 * 1024 * 1024];
const flowLabel = (n: number) => (n >= 1024 * 1024 ? `${n / (1024 * 1024)}M` : `${n / 1024}K`);

type Workload = 'http-new-connection' | 'http-keepalive' | `udp-${string}-flows`;
interface Sample {
  round: number;
  scenario: ScenarioName;
  workload: Workload;
  http?: HttpResult;
  udp?: UdpResult;
  /** Sluice's own CPU time per packet during the UDP run (kernel BPF statistics), on the LB's client link. */
  liveNsPerPacket?: number;
}

/* Where the live floods enter the LB: its client link, which holds Sluice's program in Sluice's scenarios. */
const CLIENT_LINK = 'cli0';

async function measureRound(
  net: BenchNetwork,
  threads: ReceiveThreads,
  options: BenchOptions,
  round: number,
  log: (m: string) => void,
  notes: Map<string, string[]>,
): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (const scenario of SCENARIOS) {
    let udpTotals: UdpTotals | undefined;
    try {
      await scenario.up(net);
      const url = `http://${scenario.destination(net)}:${HTTP_PORT}/`;
      for (const [workload, close] of scenario.http
        ? ([
            ['http-new-connection', true],
            ['http-keepalive', false],
          ] as const)
        : []) {
        const http = await runWrk(net.clientNs, url, options.httpSeconds, close);
        samples.push({ round, scenario: scenario.name, workload, http });
        log(
          `round ${round + 1} ${scenario.name} ${workload}: ${round2(http.rps)} req/s p50 ${http.p50Ms} ms p99 ${http.p99Ms} ms${http.errors ? ` (${http.errors})` : ''}`,
        );
        if (http.errors) pushNote(notes, `${scenario.name}/${workload}`, `round ${round + 1}: ${http.errors}`);
      }
      if (scenario.udp) {
        for (const flows of UDP_FLOWS) {
          const workload: Workload = `udp-${flowLabel(flows)}-flows`;
          const live = scenario.mode === 'nat' ? await xdpRunStats(net.lbNs, CLIENT_LINK) : undefined;
          const udp = await runUdp(net, threads, scenario.destination(net), flows, options.udpSeconds);
          const liveNsPerPacket = live ? nsPerRun(live, await xdpRunStats(net.lbNs, CLIENT_LINK)) : undefined;
          samples.push({ round, scenario: scenario.name, workload, udp, liveNsPerPacket });
          if (liveNsPerPacket !== undefined)
            log(`round ${round + 1} ${scenario.name} ${workload}: the program's own CPU time ${liveNsPerPacket.toFixed(1)} ns/packet (kernel BPF statistics)`);
          udpTotals = addUdpTotals(udpTotals, udp);
          log(
            `round ${round + 1} ${scenario.name} ${workload}: ${round2(udp.deliveredPps)} pps delivered of ${round2(udp.offeredPps)} offered${udp.arrivedPps !== udp.deliveredPps ? ` (${round2(udp.arrivedPps)} arrived, scaled by the sample's share that reached the UDP layer)` : ''}`,
          );
          const problems = udpRunProblems(udp, scenario.mode);
          const seen = `sinks: ${udp.arrivedPlain} bare, ${udp.arrivedTunneled} in IPIP; ${udp.reachedUdp} of ${udp.sampled} sampled reached the UDP layer`;
          const pace = `LB receive thread busy ${percent(udp.lbBusy)}, sinks' threads ${percent(udp.sinksBusy)}`;
          log(`round ${round + 1} ${scenario.name} ${workload}: ${pace}`);
          pushNote(notes, `${scenario.name}/${workload}`, `${scenario.name} round ${round + 1}: ${pace}`);
          if (problems.length) log(`round ${round + 1} ${scenario.name} ${workload}: CHECK FAILED: ${problems.join('; ')}`);
          if (problems.length || scenario.mode)
            pushNote(notes, `${scenario.name}/${workload}`, `${scenario.name} round ${round + 1}: ${[seen, ...problems].join('; ')}`);
        }
      }
    } finally {
      const counters = await scenario.down(net);
      if (counters) {
        /* nat shares its counters with the HTTP service; dsr and ipip run the UDP service alone. */
        const verdict = judgeCounters(counters, udpTotals, scenario.mode !== 'nat');
        log(`round ${round + 1} ${scenario.name} counters${verdict.ok ? '' : ' (CHECK FAILED)'}: ${verdict.text}`);
        pushNote(notes, `${scenario.name}/counters`, `round ${round + 1}: ${verdict.text}`);
      }
    }
  }
  return samples;
}

const round2 = (v: number) => Math.round(v);
const percent = (share: number) => `${Math.round(share * 100)} %`;
/* A receive thread busier than this during a run was the bottleneck of that run (cpu-layout.ts). */
const SATURATED = 0.9;
function pushNote(notes: Map<string, string[]>, key: string, note: string): void {
  notes.set(key, [...(notes.get(key) ?? []), note]);
}

function metricValue(sample: Sample, metric: 'rate' | 'p50' | 'p99'): number {
  if (sample.udp) return sample.udp.deliveredPps;
  if (metric === 'p50') return sample.http!.p50Ms;
  if (metric === 'p99') return sample.http!.p99Ms;
  return sample.http!.rps;
}

/** One record: `subject` on `workload`, beside `reference` from the same rounds. */
function compare(
  samples: Sample[],
  workload: Workload,
  subject: ScenarioName,
  reference: ScenarioName,
  metric: 'rate' | 'p50' | 'p99',
  notes: Map<string, string[]>,
): BenchRecord | undefined {
  const label = (name: ScenarioName) => SCENARIOS.find((s) => s.name === name)!.label;
  const mine = samples.filter((s) => s.workload === workload && s.scenario === subject);
  const theirs = samples.filter((s) => s.workload === workload && s.scenario === reference);
  if (!mine.length || !theirs.length) return undefined;
  const values = mine.map((s) => metricValue(s, metric));
  const refs = theirs.map((s) => metricValue(s, metric));
  const ratios = mine
    .map((s) => {
      const ref = theirs.find((t) => t.round === s.round);
      return ref ? metricValue(s, metric) / metricValue(ref, metric) : Number.NaN;
    })
    .filter(Number.isFinite);
  const unit = workload.startsWith('udp') ? 'packets/s' : metric === 'rate' ? 'requests/s' : 'ms';
  const metricName = metric === 'rate' ? '' : `/${metric}`;
  const extra = [...(notes.get(`${subject}/${workload}`) ?? []), ...(notes.get(`${reference}/${workload}`) ?? [])];
  const offered = mine.filter((s) => s.udp).map((s) => s.udp!.offeredPps);
  const note = [
    workload.startsWith('udp')
      ? `64-byte UDP from a live-frames XDP generator in the client namespace (offered ${round(median(offered), 3)} pps); counted at the backends by an XDP sink that drops 63 in 64 before any skb and passes the 64th up their stack (checksum checked)`
      : `wrk -t2 -c32 from the client namespace to nginx backends (one worker each)${workload === 'http-new-connection' ? ', Connection: close' : ', keep-alive'}`,
    ...extra,
  ].join('; ');
  const record: BenchRecord = {
    section: 'forwarding',
    name: `forwarding/${workload}${metricName}/${subject}-vs-${reference}`,
    value: round(median(values)),
    unit,
    referenceName: label(reference),
    referenceValue: round(median(refs)),
    ratio: round(median(ratios), 3),
    runs: values.length,
    spread: round(spread(values), 3),
    note,
  };
  /* The ceiling is a ceiling only when its own path was the bottleneck: else the generator or the sinks set its pace and the ratio says nothing. */
  const ceilingBusy = reference === 'xdp-ceiling' ? median(theirs.map((s) => s.udp!.lbBusy)) : undefined;
  if (ceilingBusy !== undefined && ceilingBusy < SATURATED) {
    const why = `the ceiling's LB receive thread was busy only ${percent(ceilingBusy)} (median), under the ${percent(SATURATED)} that shows its path set the pace: the generator or the sinks were the bottleneck, so this ratio cannot decide the goal`;
    return { ...record, ratio: null, note: `not measured: ${why}; ${note}` };
  }
  return record;
}

/* The live figure per flow count; its reference (the test-run figure) is filled in by run.ts once every section has run. */
function liveCpuRecords(samples: Sample[]): BenchRecord[] {
  const byWorkload = new Map<string, number[]>();
  for (const s of samples)
    if (s.liveNsPerPacket !== undefined && Number.isFinite(s.liveNsPerPacket))
      byWorkload.set(s.workload, [...(byWorkload.get(s.workload) ?? []), s.liveNsPerPacket]);
  return [...byWorkload].map(([workload, values]) => ({
    section: 'forwarding',
    name: `forwarding/live-cpu/${workload}/sluice`,
    value: round(median(values), 3),
    unit: 'ns/packet',
    referenceName: null,
    referenceValue: null,
    ratio: null,
    runs: values.length,
    spread: round(spread(values), 3),
    note: `Sluice nat's XDP program on the LB's client link during the UDP flood: kernel.bpf_stats_enabled run_time_ns / run_cnt over the run (every frame of the run, one program run each; the redirect's transmit is outside the program)`,
  }));
}

function toRecords(samples: Sample[], notes: Map<string, string[]>): BenchRecord[] {
  const records: Array<BenchRecord | undefined> = [];
  const workloads = [...new Set(samples.map((s) => s.workload))];
  for (const workload of workloads) {
    const isHttp = workload.startsWith('http');
    for (const reference of ['plain-routing', 'nftables-dnat', 'haproxy-tcp'] as ScenarioName[]) {
      records.push(compare(samples, workload, 'sluice', reference, 'rate', notes));
    }
    if (isHttp) {
      records.push(compare(samples, workload, 'sluice', 'nftables-dnat', 'p50', notes));
      records.push(compare(samples, workload, 'sluice', 'nftables-dnat', 'p99', notes));
    }
    /* The peers against plain routing too, so the table shows what each kind of balancer costs. */
    records.push(compare(samples, workload, 'nftables-dnat', 'plain-routing', 'rate', notes));
    if (isHttp) records.push(compare(samples, workload, 'haproxy-tcp', 'plain-routing', 'rate', notes));
    /* The modes whose replies bypass the balancer, beside nat on the same flood; and nat beside the path's ceiling. */
    if (!isHttp) for (const mode of ['sluice-dsr', 'sluice-ipip'] as ScenarioName[]) records.push(compare(samples, workload, mode, 'sluice', 'rate', notes));
    if (!isHttp) records.push(compare(samples, workload, 'sluice', 'xdp-ceiling', 'rate', notes));
  }
  records.push(...liveCpuRecords(samples));
  const result = records.filter((r): r is BenchRecord => r !== undefined);
  for (const r of result) {
    const subject = r.name.split('/').pop()!.split('-vs-')[0]!;
    const counters = notes.get(`${subject}/counters`);
    if (!counters) continue;
    const scope = subject === 'sluice' ? 'all workloads of the round' : 'its UDP runs of the round';
    r.note = `${r.note}; Sluice counters (${scope}): ${counters.join(' | ')}`;
  }
  return result;
}

export async function runForwarding(options: BenchOptions, log: (m: string) => void): Promise<BenchRecord[]> {
  let net: BenchNetwork | undefined;
  let haproxy: ChildProcess | undefined;
  let nginx: NginxBackends | undefined;
  const notes = new Map<string, string[]>();
  try {
    net = await forwardingNetworkUp(log);
    await installUdpSinks(net);
    nginx = await startNginxBackends(net);
    bpfStatsOn();
    haproxy = await startHaproxy(net.lbNs, net.backendAddresses);
    /* The idle agent first, on the fresh testbed: its health checks have live backends here (a control-plane figure). */
    const idle = await measureIdleAgentOnTestbed(
      { namespace: net.lbNs, interfaces: net.lbInterfaces, vip: VIPS.sluice, httpPort: HTTP_PORT, udpPort: UDP_PORT, backends: net.backendAddresses },
      options.idleSeconds,
      log,
    );
    const threads = await pinReceivePaths(net);
    log(threads.description);
    const samples: Sample[] = [];
    for (let r = 0; r < options.forwardingRounds; r++) samples.push(...(await measureRound(net, threads, options, r, log, notes)));
    return [...toRecords(samples, notes), ...idle];
  } finally {
    bpfStatsRestore();
    if (net) removeUdpSinks(net);
    await scenariosCleanup(net);
    await stopHaproxy(haproxy);
    await stopNginxBackends(nginx);
    await forwardingNetworkDown();
    log(`testbed down`);
  }
}
