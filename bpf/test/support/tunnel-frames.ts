// Tunnelled frames as a balancer in ipip/gue mode sends them, built here from
// scratch (own header layout and checksums), never by the program under test:
// the decapsulation fixtures feed these in and expect the inner frame back.
import { type PacketSpec, addressBytes, buildPacket, internetChecksum, macBytes, pseudoHeader } from '@sluice/dataplane/test-packets';

const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;
const IPPROTO_IPIP = 4;
const IPPROTO_IPV6 = 41;
const IPPROTO_UDP = 17;
const ETHERNET = 14;

export interface Outer {
  /** ipip: protocol 4 (IPv4 outer) or next header 41 (IPv6 outer); gue: UDP to guePort, then the inner IP header. */
  kind: 'ipip' | 'gue';
  src: string;
  dst: string;
  srcMac?: string;
  dstMac?: string;
  guePort?: number;
  gueSourcePort?: number;
  /** GUE: fill the outer UDP checksum (default 0, as the balancer sends it). */
  udpChecksum?: boolean;
  /** IPv4 outer: fragment offset (8-byte units) and more-fragments flag. */
  fragment?: { offset: number; more: boolean };
  /** IPv4 outer: raw option bytes (a multiple of 4). */
  ipv4Options?: Buffer;
  /** IPv6 outer: an 8-byte extension header (e.g. 44 fragment, 0 hop-by-hop) before the tunnel. */
  ipv6ExtensionHeader?: number;
  /** Raw IP protocol / next header instead of the tunnel's (for not-a-tunnel frames). */
  protocolOverride?: number;
}

export const TUNNEL_MACS = { srcMac: '02:00:00:00:0a:01', dstMac: '02:00:00:00:0a:02' } as const;

/** The inner packet as the backend's stack should get it: the outer frame's MACs, the inner family's type. */
export function innerFrame(inner: PacketSpec, outer: Pick<Outer, 'srcMac' | 'dstMac'> = {}): Buffer {
  return buildPacket({ ...inner, srcMac: outer.srcMac ?? TUNNEL_MACS.srcMac, dstMac: outer.dstMac ?? TUNNEL_MACS.dstMac });
}

/** The inner IP packet (no Ethernet header). */
export function innerIpPacket(inner: PacketSpec): Buffer {
  return buildPacket(inner).subarray(ETHERNET);
}

function udpHeader(outer: Outer, family: 4 | 6, src: Buffer, dst: Buffer, payload: Buffer): Buffer {
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(outer.gueSourcePort ?? 49152, 0);
  udp.writeUInt16BE(outer.guePort ?? 6080, 2);
  udp.writeUInt16BE(8 + payload.length, 4);
  if (outer.udpChecksum) {
    const check = internetChecksum(pseudoHeader(family, src, dst, IPPROTO_UDP, 8 + payload.length), udp, payload);
    udp.writeUInt16BE(check === 0 ? 0xffff : check, 6);
  }
  return udp;
}

function ethernet(outer: Outer, ethertype: number): Buffer {
  const header = Buffer.alloc(ETHERNET);
  macBytes(outer.dstMac ?? TUNNEL_MACS.dstMac).copy(header, 0);
  macBytes(outer.srcMac ?? TUNNEL_MACS.srcMac).copy(header, 6);
  header.writeUInt16BE(ethertype, 12);
  return header;
}

/** `payload` (an inner IP packet, or any bytes) inside the outer headers, from Ethernet on. */
export function encapsulateBytes(outer: Outer, payload: Buffer, innerFamily: 4 | 6 = 4): Buffer {
  const src = addressBytes(outer.src);
  const dst = addressBytes(outer.dst);
  const family = src.length === 4 ? 4 : 6;
  const tunnelProtocol = outer.kind === 'gue' ? IPPROTO_UDP : innerFamily === 4 ? IPPROTO_IPIP : IPPROTO_IPV6;
  const protocol = outer.protocolOverride ?? tunnelProtocol;
  const segment = outer.kind === 'gue' ? Buffer.concat([udpHeader(outer, family, src, dst, payload), payload]) : payload;

  if (family === 4) {
    const options = outer.ipv4Options ?? Buffer.alloc(0);
    const ip = Buffer.alloc(20 + options.length);
    ip[0] = 0x40 | (ip.length / 4);
    ip.writeUInt16BE(ip.length + segment.length, 2);
    ip.writeUInt16BE(0x0101, 4);
    ip.writeUInt16BE(outer.fragment ? (outer.fragment.more ? 0x2000 : 0) | outer.fragment.offset : 0x4000, 6);
    ip[8] = 64;
    ip[9] = protocol;
    src.copy(ip, 12);
    dst.copy(ip, 16);
    options.copy(ip, 20);
    ip.writeUInt16BE(internetChecksum(ip), 10);
    return Buffer.concat([ethernet(outer, ETH_P_IP), ip, segment]);
  }
  const extension = outer.ipv6ExtensionHeader === undefined ? Buffer.alloc(0) : Buffer.alloc(8);
  if (extension.length) extension[0] = protocol;
  const ip = Buffer.alloc(40);
  ip.writeUInt32BE(0x60000000 | 0x12345, 0); /* a flow label, as the balancer sets one */
  ip.writeUInt16BE(extension.length + segment.length, 4);
  ip[6] = outer.ipv6ExtensionHeader ?? protocol;
  ip[7] = 64;
  src.copy(ip, 8);
  dst.copy(ip, 24);
  return Buffer.concat([ethernet(outer, ETH_P_IPV6), ip, extension, segment]);
}

/** The inner packet `inner` tunnelled as `outer` says. */
export function encapsulate(outer: Outer, inner: PacketSpec): Buffer {
  const innerFamily = addressBytes(inner.src).length === 4 ? 4 : 6;
  return encapsulateBytes(outer, innerIpPacket(inner), innerFamily);
}
