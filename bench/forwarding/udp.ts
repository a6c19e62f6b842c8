/*
 * UDP packets per second through the LB: the generator (udp-generator.ts)
 * sends 64-byte datagrams from the client namespace, and each backend counts
 * what arrives. A backend is a sink, not the thing measured: an nftables
 * netdev-ingress rule drops 63 of every 64 bench datagrams right at its
 * interface (counted there), so the backends' UDP stacks do not set the
 * pace on these 2 CPUs; the 64th goes up the stack, where the kernel checks
 * its checksum (InCsumErrors) and counts it (Udp InDatagrams + NoPorts +
 * InErrors). Delivered per second of generation is the figure; what the
 * generator offered is kept beside it.
 */
import { fileURLToPath } from 'node:url';
import { inNamespace, mustRunIn, sleep } from '../processes.js';
import { GENERATOR_SOURCE_BASE, UDP_PORT, type BenchNetwork } from './network.js';
import type { GeneratorRequest } from './udp-generator.js';

const GENERATOR = fileURLToPath(new URL('./udp-generator.ts', import.meta.url));
/* Never more than this many frames per run, whatever the rate. */
const MAX_FRAMES = 30_000_000;

export interface UdpResult {
  deliveredPps: number;
  offeredPps: number;
  checksumErrors: number;
}

const SINK_TABLE = 'slbench_sink';
/* One bench datagram in this many goes up the backend's stack (checksum checked); the rest are dropped at ingress. */
const SINK_SAMPLE = 64;

/** Installs the sink on each backend's eth0 (removed with its namespace). */
export async function installUdpSinks(net: BenchNetwork): Promise<void> {
  const rules =
    `table netdev ${SINK_TABLE} {\n  counter dropped { }\n  chain ingress {\n` +
    `    type filter hook ingress device "eth0" priority -500; policy accept;\n` +
    `    meta protocol ip udp dport ${UDP_PORT} numgen inc mod ${SINK_SAMPLE} != 0 counter name "dropped" drop\n  }\n}\n`;
  for (const ns of net.backendNs) await mustRunIn(ns, 'nft', ['-f', '-'], 30_000, rules);
}

async function udpCounters(ns: string): Promise<{ arrived: number; checksumErrors: number }> {
  const { stdout } = await mustRunIn(ns, 'cat', ['/proc/net/snmp']);
  const lines = stdout.split('\n').filter((l) => l.startsWith('Udp:'));
  const names = lines[0]!.split(/\s+/).slice(1);
  const values = lines[1]!.split(/\s+/).slice(1).map(Number);
  const get = (name: string) => values[names.indexOf(name)] ?? 0;
  const sink = await mustRunIn(ns, 'nft', ['-j', 'list', 'counter', 'netdev', SINK_TABLE, 'dropped']);
  const dropped = (JSON.parse(sink.stdout) as { nftables: Array<{ counter?: { packets: number } }> }).nftables.find((o) => o.counter)?.counter?.packets ?? 0;
  return { arrived: dropped + get('InDatagrams') + get('NoPorts') + get('InErrors'), checksumErrors: get('InCsumErrors') };
}

async function totals(net: BenchNetwork) {
  const all = await Promise.all(net.backendNs.map(udpCounters));
  return { arrived: all.reduce((s, c) => s + c.arrived, 0), checksumErrors: all.reduce((s, c) => s + c.checksumErrors, 0) };
}

export async function runUdp(net: BenchNetwork, destination: string, flows: number, seconds: number): Promise<UdpResult> {
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
  const result = await inNamespace(net.clientNs, process.execPath, ['--import', 'tsx', GENERATOR, JSON.stringify(request)], seconds * 1000 + 30_000);
  if (result.code !== 0) throw new Error(`UDP generator failed (${result.timedOut ? 'timed out' : result.code}): ${result.stderr.trim()}`);
  const sent = JSON.parse(result.stdout.trim().split('\n').pop()!) as { frames: number; seconds: number };
  await sleep(200); /* let the last softirq batches land */
  const after = await totals(net);
  return {
    deliveredPps: (after.arrived - before.arrived) / sent.seconds,
    offeredPps: sent.frames / sent.seconds,
    checksumErrors: after.checksumErrors - before.checksumErrors,
  };
}
