// The health-probe steering program's fuzz: probe entries covering every
// mode, family and route of the fixture network, random and mutated frames
// around them, and an oracle that says, from the frame bytes alone, what the
// program must do with each: pass it, drop it (with which counter), or steer
// it, and then the exact frame that must come out. The oracle reads the
// headers and builds the outer headers itself, from the RFCs (791, 8200,
// 768, 2003, 2473) and the test's own checksum code; the FIB answers are
// those of bpf/test/fixture-network.sh (network.ts).
import { TCP, addressBytes, buildPacket, internetChecksum, macBytes } from '@sluice/dataplane/test-packets';
import { GUE_PORT, ON_LINK, type ProbeEntry, ROUTED, SMALL_MTU_ROUTED, TUNNEL_SOURCE, UNRESOLVED, VIP, probe } from '../health/fixtures.ts';
import { fuzzFrame, mutate } from './fuzz-packets.ts';
import { BACKEND_FACING, BACKEND_LINK_MTU, GATEWAY_MAC, SMALL_PATH_MTU, neighbourMac } from './network.ts';
import type { Random } from './random.ts';

const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;
const IPPROTO_TCP = 6;
const NO_ROUTE = '203.0.113.9';

/** One entry per probe port: every mode in both families, on-link and routed, and the entries that must drop. */
export const FUZZ_ENTRIES: ProbeEntry[] = [
  { port: 61001, mode: 'dsr', family: 4, backend: ON_LINK.v4 },
  { port: 61002, mode: 'dsr', family: 6, backend: ON_LINK.v6 },
  { port: 61003, mode: 'ipip', family: 4, backend: ON_LINK.v4 },
  { port: 61004, mode: 'ipip', family: 6, backend: ON_LINK.v6 },
  { port: 61005, mode: 'gue', family: 4, backend: ON_LINK.v4 },
  { port: 61006, mode: 'gue', family: 6, backend: ON_LINK.v6 },
  { port: 61007, mode: 'ipip', family: 4, backend: ROUTED.v4 },
  { port: 61008, mode: 'gue', family: 6, backend: ROUTED.v6 },
  { port: 61009, mode: 'ipip', family: 6, backend: ROUTED.v6 },
  { port: 61010, mode: 'gue', family: 4, backend: SMALL_MTU_ROUTED },
  { port: 61011, mode: 'dsr', family: 4, backend: ROUTED.v4 },
  { port: 61012, mode: 'dsr', family: 4, backend: UNRESOLVED },
  { port: 61013, mode: 'ipip', family: 4, backend: UNRESOLVED },
  { port: 61014, mode: 'nat', family: 4, backend: ON_LINK.v4 },
  { port: 61015, mode: 'ipip', family: 4, backend: NO_ROUTE },
  { port: 61016, mode: 'gue', family: 4, backend: ON_LINK.v4, vipPort: 443 },
];

/** The fixture network's route to each backend: path MTU, and the next hop's MAC (undefined: no neighbour entry). */
interface Route {
  mtu: number;
  gateway: boolean;
  mac: string | undefined;
}
const ROUTES: Record<string, Route | undefined> = {
  [ON_LINK.v4]: { mtu: BACKEND_LINK_MTU, gateway: false, mac: neighbourMac(ON_LINK.v4) },
  [ON_LINK.v6]: { mtu: BACKEND_LINK_MTU, gateway: false, mac: neighbourMac(ON_LINK.v6) },
  [ROUTED.v4]: { mtu: BACKEND_LINK_MTU, gateway: true, mac: GATEWAY_MAC },
  [ROUTED.v6]: { mtu: BACKEND_LINK_MTU, gateway: true, mac: GATEWAY_MAC },
  [SMALL_MTU_ROUTED]: { mtu: SMALL_PATH_MTU, gateway: true, mac: GATEWAY_MAC },
  [UNRESOLVED]: { mtu: BACKEND_LINK_MTU, gateway: false, mac: undefined },
};

export type Verdict =
  | { outcome: 'HEALTH_CNT_PASS_NOT_PROBE' | 'HEALTH_CNT_DROP_BAD_ENTRY' | 'HEALTH_CNT_DROP_NO_ROUTE' | 'HEALTH_CNT_DROP_TOO_BIG' }
  /** Steered: `output` is the exact frame; `resolving`: handed to the kernel to resolve the MAC (always a redirect). */
  | { outcome: 'HEALTH_CNT_DSR' | 'HEALTH_CNT_IPIP' | 'HEALTH_CNT_GUE' | 'HEALTH_CNT_RESOLVING'; output: Buffer; resolving: boolean };

interface ParsedProbe {
  entry: ProbeEntry;
  family: 4 | 6;
  /** The IP packet's length as its header declares it (not the frame's). */
  l3Length: number;
  tos: number;
  port: number;
}

const sameBytes = (a: Buffer, b: Buffer) => a.length === b.length && a.equals(b);

/*
 * Is the frame a probe: TCP (no IPv6 extension header, not an IPv4
 * fragment after the first) whose whole 20-byte TCP header is in the frame,
 * from a probe port, to that entry's VIP and service port, in its family?
 */
function parseProbe(frame: Buffer): ParsedProbe | undefined {
  if (frame.length < 14) return undefined;
  const type = frame.readUInt16BE(12);
  let family: 4 | 6;
  let tcpAt: number;
  let dst: Buffer;
  let l3Length: number;
  let tos: number;
  if (type === ETH_P_IP) {
    if (frame.length < 34) return undefined;
    const ihl = frame[14]! & 0x0f;
    if (ihl < 5 || frame[23] !== IPPROTO_TCP || (frame.readUInt16BE(20) & 0x1fff) !== 0) return undefined;
    family = 4;
    tcpAt = 14 + ihl * 4;
    dst = frame.subarray(30, 34);
    l3Length = frame.readUInt16BE(16);
    tos = frame[15]!;
  } else if (type === ETH_P_IPV6) {
    if (frame.length < 54 || frame[20] !== IPPROTO_TCP) return undefined;
    family = 6;
    tcpAt = 54;
    dst = frame.subarray(38, 54);
    l3Length = 40 + frame.readUInt16BE(18);
    tos = (frame.readUInt32BE(14) >>> 20) & 0xff;
  } else {
    return undefined;
  }
  if (frame.length < tcpAt + 20) return undefined;
  const port = frame.readUInt16BE(tcpAt);
  const entry = FUZZ_ENTRIES.find((e) => e.port === port);
  if (!entry || entry.family !== family || frame.readUInt16BE(tcpAt + 2) !== (entry.vipPort ?? 80)) return undefined;
  if (!sameBytes(dst, addressBytes(family === 4 ? VIP.v4 : VIP.v6))) return undefined;
  return { entry, family, l3Length, tos, port };
}

/* Outer IP (and for GUE UDP) headers of the probe, written from the RFCs: the balancer's tunnel fields. */
function outerHeaders(probe: ParsedProbe, overhead: number): Buffer {
  const { entry } = probe;
  const gue = entry.mode === 'gue';
  /* Lengths are 16-bit fields: a declared length near 64 KiB wraps, as in the program's __be16 stores. */
  const udp = Buffer.alloc(gue ? 8 : 0);
  if (gue) {
    udp.writeUInt16BE(49152 + (probe.port & 0x3fff), 0);
    udp.writeUInt16BE(GUE_PORT, 2);
    udp.writeUInt16BE((probe.l3Length + 8) & 0xffff, 4);
  }
  if (probe.family === 4) {
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip[1] = probe.tos;
    ip.writeUInt16BE((probe.l3Length + overhead) & 0xffff, 2);
    ip.writeUInt16BE(0x4000, 6); /* ID 0, DF */
    ip[8] = 64;
    ip[9] = gue ? 17 : 4;
    addressBytes(TUNNEL_SOURCE.v4).copy(ip, 12);
    addressBytes(entry.backend).copy(ip, 16);
    ip.writeUInt16BE(internetChecksum(ip), 10);
    return Buffer.concat([ip, udp]);
  }
  const ip = Buffer.alloc(40);
  ip.writeUInt32BE(((6 << 28) | (probe.tos << 20) | probe.port) >>> 0, 0); /* flow label = the probe port */
  ip.writeUInt16BE((probe.l3Length + overhead - 40) & 0xffff, 4);
  ip[6] = gue ? 17 : 41;
  ip[7] = 64;
  addressBytes(TUNNEL_SOURCE.v6).copy(ip, 8);
  addressBytes(entry.backend).copy(ip, 24);
  return Buffer.concat([ip, udp]);
}

/** What the program must do with `frame` on a test run. */
export function expectedVerdict(frame: Buffer): Verdict {
  const probe = parseProbe(frame);
  if (!probe) return { outcome: 'HEALTH_CNT_PASS_NOT_PROBE' };
  const { entry } = probe;
  if (entry.mode === 'nat') return { outcome: 'HEALTH_CNT_DROP_BAD_ENTRY' };
  const route = ROUTES[entry.backend];
  if (!route) return { outcome: 'HEALTH_CNT_DROP_NO_ROUTE' };
  const tunnel = entry.mode !== 'dsr';
  const overhead = tunnel ? (probe.family === 4 ? 20 : 40) + (entry.mode === 'gue' ? 8 : 0) : 0;
  /*
   * The FIB is asked with the packet's declared length (plus the outer
   * headers), a 16-bit field; asked with 0 it checks the frame itself
   * against the device (MTU + Ethernet + a VLAN tag), as the kernel does.
   */
  const asked = (probe.l3Length + overhead) & 0xffff;
  const tooBig = asked === 0 ? frame.length > BACKEND_LINK_MTU + 14 + 4 : asked > route.mtu;
  if (tooBig) return { outcome: 'HEALTH_CNT_DROP_TOO_BIG' };
  if (!tunnel && route.gateway) return { outcome: 'HEALTH_CNT_DROP_NO_ROUTE' };
  const ethernet = Buffer.from(frame.subarray(0, 14));
  const resolving = route.mac === undefined;
  if (!resolving) {
    macBytes(route.mac!).copy(ethernet, 0);
    macBytes(BACKEND_FACING.mac).copy(ethernet, 6);
  }
  const output = tunnel ? Buffer.concat([ethernet, outerHeaders(probe, overhead), frame.subarray(14)]) : Buffer.concat([ethernet, frame.subarray(14)]);
  const outcome = resolving ? 'HEALTH_CNT_RESOLVING' : entry.mode === 'dsr' ? 'HEALTH_CNT_DSR' : entry.mode === 'ipip' ? 'HEALTH_CNT_IPIP' : 'HEALTH_CNT_GUE';
  return { outcome, output, resolving };
}

/* Payload sizes: empty, small, and around the 1300/1400-byte paths with and without the outer headers. */
function payloadSize(random: Random): number {
  const kind = random.int(3);
  if (kind === 0) return 0;
  if (kind === 1) return random.int(200);
  return 1180 + random.int(240);
}

/* A probe-like frame: mostly a real probe of one entry, sometimes one field off (family, port, VIP, service port, protocol) or with odd headers. */
function probeLikeFrame(random: Random): Buffer {
  const entry = random.pick(FUZZ_ENTRIES);
  const family = random.chance(0.9) ? entry.family : entry.family === 4 ? 6 : 4;
  const v6 = family === 6;
  const spec = probe(family, random.chance(0.9) ? entry.port : 61000 + random.int(20), {
    dstPort: random.chance(0.9) ? (entry.vipPort ?? 80) : random.pick([80, 443, 8080]),
    tcpFlags: random.chance(0.5) ? TCP.SYN : random.int(256),
    payload: random.bytes(payloadSize(random)),
    tcpSeq: random.int(2 ** 32),
  });
  if (random.chance(0.05)) spec.dst = v6 ? '2001:db8::7' : '198.18.0.7';
  if (random.chance(0.05)) spec.protocol = 'udp';
  if (!v6 && random.chance(0.05)) spec.ipv4Options = Buffer.from([1, 1, 1, 0, 7, 3, 4, 0]);
  if (!v6 && random.chance(0.03)) spec.fragment = { offset: random.int(2) * 100, more: random.chance(0.5) };
  if (v6 && random.chance(0.05)) spec.ipv6ExtensionHeader = random.pick([0, 44, 60]);
  if (random.chance(0.03)) spec.vlanIds = [100];
  return buildPacket(spec);
}

/** One fuzz frame: probe-like (about four in five) or the balancer's ordinary fuzz traffic, mutated half the time. */
export function healthFuzzFrame(random: Random): Buffer {
  const frame = random.chance(0.8) ? probeLikeFrame(random) : fuzzFrame(random);
  return random.chance(0.5) ? frame : mutate(random, frame);
}
