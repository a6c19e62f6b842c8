// Builds Ethernet/IPv4/IPv6/TCP/UDP frames from a description, checksums
// computed from scratch. Fixtures describe the input and the expected output
// with it, so expected bytes never come from the program under test.
import { isIPv4, isIPv6 } from 'node:net';
import { internetChecksum, pseudoHeader } from './checksum.ts';

/* The checksum code too, for tests that check or break a checksum themselves. */
export { internetChecksum, onesComplementSum, pseudoHeader } from './checksum.ts';

export const ETH_P_IP = 0x0800;
export const ETH_P_IPV6 = 0x86dd;
export const ETH_P_8021Q = 0x8100;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

export const TCP = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;

export interface PacketSpec {
  src: string;
  dst: string;
  srcPort?: number;
  dstPort?: number;
  /** 'tcp', 'udp', or a raw IP protocol number (then no L4 header is built). */
  protocol: 'tcp' | 'udp' | number;
  tcpFlags?: number;
  payload?: Buffer | string;
  ttl?: number;
  srcMac?: string;
  dstMac?: string;
  vlanIds?: number[];
  /** IPv4 only: send UDP with checksum 0 ("no checksum"). */
  udpNoChecksum?: boolean;
  /** IPv4 only: raw option bytes (padded to a multiple of 4). */
  ipv4Options?: Buffer;
  /** IPv4 only: fragment offset (8-byte units) and more-fragments flag. */
  fragment?: { offset: number; more: boolean };
  /** IPv6 only: a next header placed before the L4 header (e.g. 44 fragment). */
  ipv6ExtensionHeader?: number;
  ipId?: number;
  tcpSeq?: number;
}

export const DEFAULT_SRC_MAC = '02:00:00:00:00:01';
export const DEFAULT_DST_MAC = '02:00:00:00:00:02';

export function macBytes(mac: string): Buffer {
  return Buffer.from(mac.split(':').map((part) => parseInt(part, 16)));
}

/** 4 bytes for IPv4, 16 for IPv6, in network order. */
export function addressBytes(address: string): Buffer {
  if (isIPv4(address)) return Buffer.from(address.split('.').map(Number));
  if (!isIPv6(address)) throw new Error(`not an IP address: ${address}`);
  const [head = '', tail = ''] = address.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = address.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = address.includes('::') ? [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups] : headGroups;
  const bytes = Buffer.alloc(16);
  groups.forEach((group, i) => bytes.writeUInt16BE(parseInt(group, 16), i * 2));
  return bytes;
}

/** 16 bytes as in the data plane's keys: IPv4 in the first 4, the rest zero. */
export function keyAddressBytes(address: string): Buffer {
  const bytes = Buffer.alloc(16);
  addressBytes(address).copy(bytes);
  return bytes;
}

/** The key the program files this packet's flow under (struct flow_key): its addresses, ports, protocol and family as sent. */
export function flowKeyOf(spec: PacketSpec) {
  const family: 4 | 6 = spec.src.includes(':') ? 6 : 4;
  return {
    src: keyAddressBytes(spec.src),
    dst: keyAddressBytes(spec.dst),
    src_port: spec.srcPort ?? 0,
    dst_port: spec.dstPort ?? 0,
    protocol: spec.protocol === 'tcp' ? IPPROTO_TCP : spec.protocol === 'udp' ? IPPROTO_UDP : spec.protocol,
    family,
  };
}

function l4Header(spec: PacketSpec, protocol: number, payload: Buffer): Buffer {
  if (protocol === IPPROTO_TCP) {
    const tcp = Buffer.alloc(20);
    tcp.writeUInt16BE(spec.srcPort ?? 0, 0);
    tcp.writeUInt16BE(spec.dstPort ?? 0, 2);
    tcp.writeUInt32BE(spec.tcpSeq ?? 1000, 4);
    tcp.writeUInt32BE(spec.tcpFlags !== undefined && spec.tcpFlags & TCP.ACK ? 2000 : 0, 8);
    tcp[12] = 5 << 4;
    tcp[13] = spec.tcpFlags ?? TCP.ACK;
    tcp.writeUInt16BE(64240, 14);
    return tcp;
  }
  if (protocol === IPPROTO_UDP) {
    const udp = Buffer.alloc(8);
    udp.writeUInt16BE(spec.srcPort ?? 0, 0);
    udp.writeUInt16BE(spec.dstPort ?? 0, 2);
    udp.writeUInt16BE(8 + payload.length, 4);
    return udp;
  }
  return Buffer.alloc(0);
}

function fillL4Checksum(segment: Buffer, family: 4 | 6, src: Buffer, dst: Buffer, protocol: number, spec: PacketSpec) {
  const offset = protocol === IPPROTO_TCP ? 16 : protocol === IPPROTO_UDP ? 6 : -1;
  if (offset < 0) return;
  if (protocol === IPPROTO_UDP && spec.udpNoChecksum) return;
  let check = internetChecksum(pseudoHeader(family, src, dst, protocol, segment.length), segment);
  if (protocol === IPPROTO_UDP && check === 0) check = 0xffff;
  segment.writeUInt16BE(check, offset);
}

function protocolNumber(protocol: PacketSpec['protocol']): number {
  if (protocol === 'tcp') return IPPROTO_TCP;
  if (protocol === 'udp') return IPPROTO_UDP;
  return protocol;
}

function ethernetHeader(spec: PacketSpec, ethertype: number): Buffer {
  const tags = spec.vlanIds ?? [];
  const header = Buffer.alloc(14 + 4 * tags.length);
  macBytes(spec.dstMac ?? DEFAULT_DST_MAC).copy(header, 0);
  macBytes(spec.srcMac ?? DEFAULT_SRC_MAC).copy(header, 6);
  let offset = 12;
  for (const id of tags) {
    header.writeUInt16BE(ETH_P_8021Q, offset);
    header.writeUInt16BE(id, offset + 2);
    offset += 4;
  }
  header.writeUInt16BE(ethertype, offset);
  return header;
}

export function buildPacket(spec: PacketSpec): Buffer {
  const protocol = protocolNumber(spec.protocol);
  const payload = typeof spec.payload === 'string' ? Buffer.from(spec.payload) : (spec.payload ?? Buffer.alloc(0));
  const src = addressBytes(spec.src);
  const dst = addressBytes(spec.dst);
  const family = src.length === 4 ? 4 : 6;
  const segment = Buffer.concat([l4Header(spec, protocol, payload), payload]);
  fillL4Checksum(segment, family, src, dst, protocol, spec);

  if (family === 4) {
    const options = spec.ipv4Options ?? Buffer.alloc(0);
    const ip = Buffer.alloc(20 + options.length);
    ip[0] = 0x40 | ((20 + options.length) / 4);
    ip.writeUInt16BE(ip.length + segment.length, 2);
    ip.writeUInt16BE(spec.ipId ?? 0x1234, 4);
    const fragment = spec.fragment ? (spec.fragment.more ? 0x2000 : 0) | spec.fragment.offset : 0x4000;
    ip.writeUInt16BE(fragment, 6);
    ip[8] = spec.ttl ?? 64;
    ip[9] = protocol;
    src.copy(ip, 12);
    dst.copy(ip, 16);
    options.copy(ip, 20);
    ip.writeUInt16BE(internetChecksum(ip), 10);
    return Buffer.concat([ethernetHeader(spec, ETH_P_IP), ip, segment]);
  }

  const extension = spec.ipv6ExtensionHeader;
  const extensionHeader = extension === undefined ? Buffer.alloc(0) : Buffer.alloc(8);
  if (extensionHeader.length) extensionHeader[0] = protocol;
  const ip = Buffer.alloc(40);
  ip.writeUInt32BE(0x60000000, 0);
  ip.writeUInt16BE(extensionHeader.length + segment.length, 4);
  ip[6] = extension ?? protocol;
  ip[7] = spec.ttl ?? 64;
  src.copy(ip, 8);
  dst.copy(ip, 24);
  return Buffer.concat([ethernetHeader(spec, ETH_P_IPV6), ip, extensionHeader, segment]);
}
