// Reads what the program sent, whatever its mode: a tunnelled frame is
// checked outside (IPv4 header checksum, GUE's zero UDP checksum) and then
// inside like any frame; an ICMP / ICMPv6 answer by its own checksum.
import { ETH_P_IP, ETH_P_IPV6, internetChecksum, onesComplementSum, pseudoHeader } from '@sluice/dataplane/test-packets';
import { type InspectedFrame, inspectFrame } from './inspect.ts';
import { GUE_PORT } from './modes.ts';

const ETHERNET = 14;
const IPPROTO_ICMP = 1;
const IPPROTO_IPIP = 4;
const IPPROTO_UDP = 17;
const IPPROTO_IPV6 = 41;
const IPPROTO_ICMPV6 = 58;

export interface InspectedOutput {
  kind: 'plain' | 'tunnelled' | 'icmp';
  checksumsValid: boolean;
  /** The frame a receiver sees (for a tunnel, after decapsulation). */
  inner: InspectedFrame | null;
}

/* The inner packet as a frame of its own, so inspectFrame can read it. */
const asFrame = (frame: Buffer, inner: Buffer) => {
  const ethertype = inner[0]! >> 4 === 6 ? ETH_P_IPV6 : ETH_P_IP;
  const header = Buffer.from(frame.subarray(0, ETHERNET));
  header.writeUInt16BE(ethertype, 12);
  return Buffer.concat([header, inner]);
};

function outer(frame: Buffer): { family: 4 | 6; protocol: number; headerValid: boolean; src: Buffer; dst: Buffer; payload: Buffer } | null {
  if (frame.length < ETHERNET + 20) return null;
  const ethertype = frame.readUInt16BE(12);
  const l3 = frame.subarray(ETHERNET);
  if (ethertype === ETH_P_IP && l3[0] === 0x45 && l3.readUInt16BE(2) <= l3.length) {
    const header = l3.subarray(0, 20);
    return {
      family: 4,
      protocol: l3[9]!,
      headerValid: onesComplementSum(header) === 0xffff,
      src: l3.subarray(12, 16),
      dst: l3.subarray(16, 20),
      payload: l3.subarray(20, l3.readUInt16BE(2)),
    };
  }
  if (ethertype === ETH_P_IPV6 && l3.length >= 40 && l3[0]! >> 4 === 6 && 40 + l3.readUInt16BE(4) <= l3.length) {
    return {
      family: 6,
      protocol: l3[6]!,
      headerValid: true,
      src: l3.subarray(8, 24),
      dst: l3.subarray(24, 40),
      payload: l3.subarray(40, 40 + l3.readUInt16BE(4)),
    };
  }
  return null;
}

function inspectPlain(frame: Buffer): InspectedOutput | null {
  const plain = inspectFrame(frame);
  return plain && { kind: 'plain', inner: plain, checksumsValid: plain.checksumsValid };
}

export function inspectOutput(frame: Buffer): InspectedOutput | null {
  /* Untagged only: the program encapsulates and answers no VLAN-tagged frame. */
  const ip = outer(frame);
  if (!ip) return inspectPlain(frame);
  if (ip.protocol === IPPROTO_IPIP || ip.protocol === IPPROTO_IPV6) {
    const inner = inspectFrame(asFrame(frame, ip.payload));
    return { kind: 'tunnelled', inner, checksumsValid: ip.headerValid && !!inner?.checksumsValid };
  }
  if (ip.protocol === IPPROTO_UDP && ip.payload.length >= 8 && ip.payload.readUInt16BE(2) === GUE_PORT && ip.payload.readUInt16BE(6) === 0) {
    const inner = inspectFrame(asFrame(frame, ip.payload.subarray(8, ip.payload.readUInt16BE(4))));
    return { kind: 'tunnelled', inner, checksumsValid: ip.headerValid && !!inner?.checksumsValid };
  }
  if (ip.protocol === IPPROTO_ICMP || ip.protocol === IPPROTO_ICMPV6) {
    const pseudo = ip.family === 6 ? pseudoHeader(6, ip.src, ip.dst, IPPROTO_ICMPV6, ip.payload.length) : Buffer.alloc(0);
    return { kind: 'icmp', inner: null, checksumsValid: ip.headerValid && internetChecksum(pseudo, ip.payload) === 0 };
  }
  return inspectPlain(frame);
}
