// Expected frames of the forwarding modes, built here from the RFCs, with
// this file's own header and checksum code (none of it from the program):
// DSR (MACs only), IPIP / IP6IP6 and GUE encapsulation, and the ICMP
// fragmentation-needed / ICMPv6 packet-too-big answers.
import { type PacketSpec, addressBytes, buildPacket, internetChecksum, macBytes, pseudoHeader } from '@sluice/dataplane/test-packets';
import type { Expectation } from './expect.ts';
import { hashFlow } from './jhash.ts';
import { tupleOf } from './model.ts';
import { BACKEND_FACING, neighbourMac } from './network.ts';
import { GUE_PORT, TUNNEL_SOURCE4, TUNNEL_SOURCE6 } from './modes.ts';
import type { Endpoint } from './services.ts';

const ETHERNET = 14;
const IPPROTO_ICMP = 1;
const IPPROTO_IPIP = 4;
const IPPROTO_IPV6 = 41;
const IPPROTO_UDP = 17;
const IPPROTO_ICMPV6 = 58;
const TUNNEL_TTL = 64;

/** The next hop's MAC: the backend's own, or the gateway's when it is routed. */
export interface Path {
  dstMac?: string;
}

function ethernet(dstMac: string | Buffer, srcMac: string | Buffer, ethertype: number): Buffer {
  const header = Buffer.alloc(ETHERNET);
  (typeof dstMac === 'string' ? macBytes(dstMac) : dstMac).copy(header, 0);
  (typeof srcMac === 'string' ? macBytes(srcMac) : srcMac).copy(header, 6);
  header.writeUInt16BE(ethertype, 12);
  return header;
}

/** The client's packet from its IP header on (what a tunnel carries unchanged). */
export const l3Of = (spec: PacketSpec): Buffer => buildPacket(spec).subarray(ETHERNET);

const isV6 = (spec: PacketSpec) => spec.src.includes(':');

/** DSR: the same IP packet (TTL untouched), from the balancer's MAC to the backend's. */
export function sentDirectTo(spec: PacketSpec, backend: Endpoint): Expectation {
  return {
    action: 'XDP_REDIRECT',
    frame: buildPacket({ ...spec, srcMac: BACKEND_FACING.mac, dstMac: neighbourMac(backend.address) }),
    backend,
  };
}

export interface TunnelOptions {
  mode: 'ipip' | 'gue';
  /** Low bits of the outer source taken from the flow hash (tunnel_settings). */
  sourceHashBits?: number;
  path?: Path;
}

function withHashBits(base: Buffer, bits: number, hash: number): Buffer {
  const out = Buffer.from(base);
  const last = out.length - 4;
  if (bits === 0) return out;
  const mask = bits >= 32 ? 0xffffffff : (1 << bits) - 1;
  out.writeUInt32BE(((out.readUInt32BE(last) & ~mask) | (hash & mask)) >>> 0, last);
  return out;
}

function outerIpv4(inner: Buffer, protocol: number, source: Buffer, backend: string, extra: number): Buffer {
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip[1] = inner[1]!; /* the inner TOS */
  ip.writeUInt16BE(20 + extra + inner.length, 2);
  ip.writeUInt16BE(0, 4);
  ip.writeUInt16BE(0x4000, 6); /* DF */
  ip[8] = TUNNEL_TTL;
  ip[9] = protocol;
  source.copy(ip, 12);
  addressBytes(backend).copy(ip, 16);
  ip.writeUInt16BE(internetChecksum(ip), 10);
  return ip;
}

function outerIpv6(inner: Buffer, nextHeader: number, source: Buffer, backend: string, extra: number, hash: number): Buffer {
  const ip = Buffer.alloc(40);
  const trafficClass = ((inner.readUInt32BE(0) >>> 20) & 0xff) >>> 0;
  ip.writeUInt32BE(((6 << 28) | (trafficClass << 20) | (hash & 0xfffff)) >>> 0, 0);
  ip.writeUInt16BE(extra + inner.length, 4);
  ip[6] = nextHeader;
  ip[7] = TUNNEL_TTL;
  source.copy(ip, 8);
  addressBytes(backend).copy(ip, 24);
  return ip;
}

/** GUE variant 1: UDP to the GUE port from 49152 + 14 bits of the flow hash, checksum 0, then the inner packet. */
function gueUdp(inner: Buffer, hash: number): Buffer {
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(49152 + (hash & 0x3fff), 0);
  udp.writeUInt16BE(GUE_PORT, 2);
  udp.writeUInt16BE(8 + inner.length, 4);
  return udp;
}

/** The client's packet, unchanged, encapsulated toward the backend. */
export function tunnelledTo(spec: PacketSpec, backend: Endpoint, options: TunnelOptions): Expectation {
  const inner = l3Of(spec);
  const hash = hashFlow(tupleOf(spec));
  const gue = options.mode === 'gue';
  const udp = gue ? gueUdp(inner, hash) : Buffer.alloc(0);
  const dstMac = options.path?.dstMac ?? neighbourMac(backend.address);
  const bits = options.sourceHashBits ?? 0;
  const outer = isV6(spec)
    ? outerIpv6(inner, gue ? IPPROTO_UDP : IPPROTO_IPV6, withHashBits(addressBytes(TUNNEL_SOURCE6), bits, hash), backend.address, udp.length, hash)
    : outerIpv4(inner, gue ? IPPROTO_UDP : IPPROTO_IPIP, withHashBits(addressBytes(TUNNEL_SOURCE4), bits, hash), backend.address, udp.length);
  const ethertype = isV6(spec) ? 0x86dd : 0x0800;
  return { action: 'XDP_REDIRECT', frame: Buffer.concat([ethernet(dstMac, BACKEND_FACING.mac, ethertype), outer, udp, inner]), backend };
}

/*
 * The answer to a packet too big for the path: back to the sender's MAC from
 * the MAC it was sent to, from the VIP to the client, TTL 64.
 * IPv4 (RFC 792/1191): type 3 code 4, next-hop MTU in the low 16 bits of the
 * second word, quoting the IP header and the first 8 bytes of its payload.
 * IPv6 (RFC 4443 3.2): type 2 code 0, the MTU as 32 bits, quoting as much of
 * the packet as keeps the whole answer within 1280 bytes.
 */
export function answeredTooBig(spec: PacketSpec, mtu: number): Expectation {
  const input = buildPacket(spec);
  const l3 = input.subarray(ETHERNET);
  const turned = ethernet(input.subarray(6, 12), input.subarray(0, 6), isV6(spec) ? 0x86dd : 0x0800);
  const client = addressBytes(spec.src);
  const vip = addressBytes(spec.dst);
  if (!isV6(spec)) {
    const quote = l3.subarray(0, 28);
    const icmp = Buffer.alloc(8);
    icmp[0] = 3;
    icmp[1] = 4;
    icmp.writeUInt16BE(mtu, 6);
    icmp.writeUInt16BE(internetChecksum(icmp, quote), 2);
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + 8 + quote.length, 2);
    ip[8] = 64;
    ip[9] = IPPROTO_ICMP;
    vip.copy(ip, 12);
    client.copy(ip, 16);
    ip.writeUInt16BE(internetChecksum(ip), 10);
    return { action: 'XDP_TX', frame: Buffer.concat([turned, ip, icmp, quote]), reason: 'CNT_TUNNEL_TOO_BIG' };
  }
  const quote = l3.subarray(0, 1280 - 40 - 8);
  const icmp6 = Buffer.alloc(8);
  icmp6[0] = 2;
  icmp6.writeUInt32BE(mtu, 4);
  icmp6.writeUInt16BE(internetChecksum(pseudoHeader(6, vip, client, IPPROTO_ICMPV6, 8 + quote.length), icmp6, quote), 2);
  const ip6 = Buffer.alloc(40);
  ip6.writeUInt32BE(0x60000000, 0);
  ip6.writeUInt16BE(8 + quote.length, 4);
  ip6[6] = IPPROTO_ICMPV6;
  ip6[7] = 64;
  vip.copy(ip6, 8);
  client.copy(ip6, 24);
  return { action: 'XDP_TX', frame: Buffer.concat([turned, ip6, icmp6, quote]), reason: 'CNT_TUNNEL_TOO_BIG' };
}
