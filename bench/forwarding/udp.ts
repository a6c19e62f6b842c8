/*
 * UDP packets per second through the LB: the generator (udp-generator.ts)
 * sends 64-byte datagrams from the client namespace, and the backends'
 * kernels count what arrives (Udp InDatagrams + NoPorts + InErrors in each
 * backend namespace's /proc/net/snmp). Delivered per second of generation is
 * the figure; what the generator offered is kept beside it.
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

async function udpCounters(ns: string): Promise<{ arrived: number; checksumErrors: number }> {
  const { stdout } = await mustRunIn(ns, 'cat', ['/proc/net/snmp']);
  const lines = stdout.split('\n').filter((l) => l.startsWith('Udp:'));
  const names = lines[0]!.split(/\s+/).slice(1);
  const values = lines[1]!.split(/\s+/).slice(1).map(Number);
  const get = (name: string) => values[names.indexOf(name)] ?? 0;
  return { arrived: get('InDatagrams') + get('NoPorts') + get('InErrors'), checksumErrors: get('InCsumErrors') };
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
