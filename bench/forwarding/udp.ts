/*
 * UDP packets per second through the LB: the generator (udp-generator.ts)
 * sends 64-byte datagrams from the client namespace, and each backend counts
 * what arrives. A backend is a sink, not the thing measured: an XDP program
 * on its interface (udp-sink.bpf.c) counts the bench's datagrams and drops
 * 63 of every 64 before the kernel builds an skb, so the backends' UDP
 * stacks do not set the pace on these 2 CPUs; the 64th goes up the stack,
 * where the kernel checks its checksum (InCsumErrors). Delivered per second
 * of generation is the figure; what the generator offered is kept beside it.
 * The sink counts datagrams that arrive inside IPIP apart (ipip mode), and
 * every run checks that each sampled datagram reached the backend's UDP layer
 * (InDatagrams + NoPorts + InErrors): in dsr that needs the VIP on the
 * backend's loopback, in ipip the backend's decapsulation too. The figure
 * is scaled by the share of the sample that did.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBpffs } from '@sluice/dataplane';
import { inNamespace, mustRun, mustRunIn, sleep } from '../processes.js';
import { BENCH_PIN_DIR } from '../sluice-agent.js';
import { buildBenchBpf } from '../bpf-object.js';
import { GENERATOR_SOURCE_BASE, UDP_PORT, type BenchNetwork } from './network.js';
import type { GeneratorRequest } from './udp-generator.js';
import { GENERATOR_CPU, type ReceiveThreads, threadCpuSeconds } from './cpu-layout.js';

const GENERATOR = fileURLToPath(new URL('./udp-generator.ts', import.meta.url));
const SINK_SOURCE = fileURLToPath(new URL('./udp-sink.bpf.c', import.meta.url));
/* Never more than this many frames per run, whatever the rate. */
const MAX_FRAMES = 30_000_000;

export interface UdpResult {
  /** Datagrams per second the sinks counted, times the share of their sample that reached the backends' UDP layer. */
  deliveredPps: number;
  /** Datagrams per second the sinks counted, whatever the backends' stacks would have done with them. */
  arrivedPps: number;
  offeredPps: number;
  checksumErrors: number;
  /** Frames the generator sent. */
  sent: number;
  /** Datagrams the backends' sinks counted, as they were and inside IPIP. */
  arrivedPlain: number;
  arrivedTunneled: number;
  /** Datagrams the sinks passed up their stacks, and how many of those the backends' UDP layers took in. */
  sampled: number;
  reachedUdp: number;
  /** Busy share (0..1) of the LB's client-link receive thread and of the sinks' threads over the generation. */
  lbBusy: number;
  sinksBusy: number;
}

const sinkPin = (ns: string) => join(BENCH_PIN_DIR, `udp-sink-${ns}`);

/** Builds the sink, loads one per backend (pinned in the bench bpffs) and attaches it to the backend's eth0. */
export async function installUdpSinks(net: BenchNetwork): Promise<void> {
  const object = buildBenchBpf(SINK_SOURCE, [`SINK_PORT=${UDP_PORT}`]);
  ensureBpffs(BENCH_PIN_DIR);
  for (const ns of net.backendNs) {
    removeUdpSinkPins(ns);
    await mustRunIn(ns, 'bpftool', ['prog', 'load', object, `${sinkPin(ns)}-prog`, 'type', 'xdp', 'pinmaps', `${sinkPin(ns)}-maps`]);
    await mustRunIn(ns, 'bpftool', ['net', 'attach', 'xdpdrv', 'pinned', `${sinkPin(ns)}-prog`, 'dev', 'eth0']);
  }
}

function removeUdpSinkPins(ns: string): void {
  rmSync(`${sinkPin(ns)}-prog`, { force: true });
  rmSync(`${sinkPin(ns)}-maps`, { recursive: true, force: true });
}

/** The sinks go with the backends' namespaces; their pins are removed here. */
export function removeUdpSinks(net: BenchNetwork): void {
  for (const ns of net.backendNs) removeUdpSinkPins(ns);
}

/* The sink passes every SINK_SAMPLE-th datagram of each CPU and slot up the stack (udp-sink.bpf.c). */
const SINK_SAMPLE = 64;

interface SinkCounters {
  arrivedPlain: number;
  arrivedTunneled: number;
  sampled: number;
  /** InDatagrams + NoPorts + InErrors: datagrams the UDP layer took in (no socket listens on the bench's port). */
  udpIn: number;
  checksumErrors: number;
}

async function udpCounters(ns: string): Promise<SinkCounters> {
  const { stdout } = await mustRunIn(ns, 'cat', ['/proc/net/snmp']);
  const lines = stdout.split('\n').filter((l) => l.startsWith('Udp:'));
  const names = lines[0]!.split(/\s+/).slice(1);
  const values = lines[1]!.split(/\s+/).slice(1).map(Number);
  const udp = (name: string) => values[names.indexOf(name)] ?? 0;
  const dump = await mustRun('bpftool', ['-j', 'map', 'dump', 'pinned', `${sinkPin(ns)}-maps/arrived`]);
  const slots = JSON.parse(dump.stdout) as Array<{ key: number; formatted: { key: number; values: Array<{ value: number }> } }>;
  const perCpu = (slot: number) => slots.find((s) => s.formatted.key === slot)?.formatted.values.map((v) => v.value) ?? [];
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return {
    arrivedPlain: sum(perCpu(0)),
    arrivedTunneled: sum(perCpu(1)),
    sampled: sum([...perCpu(0), ...perCpu(1)].map((n) => Math.floor(n / SINK_SAMPLE))),
    udpIn: udp('InDatagrams') + udp('NoPorts') + udp('InErrors'),
    checksumErrors: udp('InCsumErrors'),
  };
}

async function totals(net: BenchNetwork): Promise<SinkCounters> {
  const all = await Promise.all(net.backendNs.map(udpCounters));
  const total = (key: keyof SinkCounters) => all.reduce((s, c) => s + c[key], 0);
  return {
    arrivedPlain: total('arrivedPlain'),
    arrivedTunneled: total('arrivedTunneled'),
    sampled: total('sampled'),
    udpIn: total('udpIn'),
    checksumErrors: total('checksumErrors'),
  };
}

export async function runUdp(net: BenchNetwork, threads: ReceiveThreads, destination: string, flows: number, seconds: number): Promise<UdpResult> {
  const request: GeneratorRequest = {
    ifname: 'eth0',
    srcMac: net.clientMac,
    dstMac: net.lbClientMac,
    srcBase: GENERATOR_SOURCE_BASE,
    dst: destination,
    dstPort: UDP_PORT,
    flows,
    seconds,
    maxFrames: MAX_FRAMES,
  };
  const before = await totals(net);
  const [lbBefore, sinksBefore] = [threadCpuSeconds(threads.lb), threadCpuSeconds(threads.sinks)];
  /* The generator on the sinks' CPU, away from the LB's receive thread (cpu-layout.ts). */
  const generator = ['-c', String(GENERATOR_CPU), process.execPath, '--import', 'tsx', GENERATOR, JSON.stringify(request)];
  const result = await inNamespace(net.clientNs, 'taskset', generator, seconds * 1000 + 30_000);
  if (result.code !== 0) throw new Error(`UDP generator failed (${result.timedOut ? 'timed out' : (result.code ?? result.signal)}): ${result.stderr.trim()}`);
  const sent = JSON.parse(result.stdout.trim().split('\n').pop()!) as { frames: number; seconds: number };
  await sleep(200); /* let the last softirq batches land */
  const [lbBusy, sinksBusy] = [(threadCpuSeconds(threads.lb) - lbBefore) / sent.seconds, (threadCpuSeconds(threads.sinks) - sinksBefore) / sent.seconds];
  const after = await totals(net);
  const arrivedPlain = after.arrivedPlain - before.arrivedPlain;
  const arrivedTunneled = after.arrivedTunneled - before.arrivedTunneled;
  const sampled = after.sampled - before.sampled;
  const reachedUdp = after.udpIn - before.udpIn;
  /* A backend that would drop what reaches it (no VIP on lo, decap broken) must show as a low figure, not a fast one. */
  const taken = sampled > 0 ? Math.min(1, reachedUdp / sampled) : 1;
  const arrivedPps = (arrivedPlain + arrivedTunneled) / sent.seconds;
  return {
    deliveredPps: arrivedPps * taken,
    arrivedPps,
    offeredPps: sent.frames / sent.seconds,
    checksumErrors: after.checksumErrors - before.checksumErrors,
    sent: sent.frames,
    arrivedPlain,
    arrivedTunneled,
    sampled,
    reachedUdp,
    lbBusy,
    sinksBusy,
  };
}
