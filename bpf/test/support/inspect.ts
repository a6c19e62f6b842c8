// Reads a frame the way a receiver would, independently of the program:
// its addresses and ports, and whether its checksums are valid.
import { internetChecksum, onesComplementSum, pseudoHeader } from '@sluice/dataplane/test-packets';
import { ETH_P_8021Q, ETH_P_IP, ETH_P_IPV6, IPPROTO_TCP, IPPROTO_UDP } from '@sluice/dataplane/test-packets';

const ETH_P_8021AD = 0x88a8;

export interface InspectedFrame {
  family: 4 | 6;
  src: Buffer;
  dst: Buffer;
  protocol: number;
  srcPort: number;
  dstPort: number;
  /** IPv4 header and TCP/UDP checksums all verify. */
  checksumsValid: boolean;
}

/** A well-formed Ethernet + IPv4/IPv6 + TCP/UDP frame, or null. */
export function inspectFrame(frame: Buffer): InspectedFrame | null {
  let offset = 12;
  if (frame.length < 14) return null;
  let ethertype = frame.readUInt16BE(offset);
  for (let tags = 0; tags < 2 && (ethertype === ETH_P_8021Q || ethertype === ETH_P_8021AD); tags++) {
    offset += 4;
    if (frame.length < offset + 2) return null;
    ethertype = frame.readUInt16BE(offset);
  }
  const l3 = offset + 2;
  if (ethertype === ETH_P_IP) return inspectIpv4(frame, l3);
  if (ethertype === ETH_P_IPV6) return inspectIpv6(frame, l3);
  return null;
}

function inspectIpv4(frame: Buffer, l3: number): InspectedFrame | null {
  if (frame.length < l3 + 20 || frame[l3]! >> 4 !== 4) return null;
  const headerLength = (frame[l3]! & 0x0f) * 4;
  const totalLength = frame.readUInt16BE(l3 + 2);
  if (headerLength < 20 || totalLength < headerLength || l3 + totalLength > frame.length) return null;
  if (frame.readUInt16BE(l3 + 6) & 0x3fff) return null; // fragment
  const header = frame.subarray(l3, l3 + headerLength);
  const headerValid = onesComplementSum(header) === 0xffff;
  const segment = frame.subarray(l3 + headerLength, l3 + totalLength);
  const src = frame.subarray(l3 + 12, l3 + 16);
  const dst = frame.subarray(l3 + 16, l3 + 20);
  return inspectL4(4, src, dst, frame[l3 + 9]!, segment, headerValid);
}

function inspectIpv6(frame: Buffer, l3: number): InspectedFrame | null {
  if (frame.length < l3 + 40 || frame[l3]! >> 4 !== 6) return null;
  const payloadLength = frame.readUInt16BE(l3 + 4);
  if (l3 + 40 + payloadLength > frame.length) return null;
  const segment = frame.subarray(l3 + 40, l3 + 40 + payloadLength);
  return inspectL4(6, frame.subarray(l3 + 8, l3 + 24), frame.subarray(l3 + 24, l3 + 40), frame[l3 + 6]!, segment, true);
}

function inspectL4(family: 4 | 6, src: Buffer, dst: Buffer, protocol: number, segment: Buffer, headerValid: boolean): InspectedFrame | null {
  if (protocol !== IPPROTO_TCP && protocol !== IPPROTO_UDP) return null;
  const minimum = protocol === IPPROTO_TCP ? 20 : 8;
  if (segment.length < minimum) return null;
  if (protocol === IPPROTO_TCP && (segment[12]! >> 4) * 4 > segment.length) return null;
  if (protocol === IPPROTO_TCP && segment[12]! >> 4 < 5) return null;
  if (protocol === IPPROTO_UDP && (segment.readUInt16BE(4) < 8 || segment.readUInt16BE(4) > segment.length)) return null;
  const l4Length = protocol === IPPROTO_UDP ? segment.readUInt16BE(4) : segment.length;
  const covered = segment.subarray(0, l4Length);
  const checksumField = protocol === IPPROTO_TCP ? 16 : 6;
  const noUdpChecksum = protocol === IPPROTO_UDP && segment.readUInt16BE(checksumField) === 0;
  const l4Valid = (noUdpChecksum && family === 4) || (!noUdpChecksum && internetChecksum(pseudoHeader(family, src, dst, protocol, l4Length), covered) === 0);
  return {
    family,
    src: Buffer.from(src),
    dst: Buffer.from(dst),
    protocol,
    srcPort: segment.readUInt16BE(0),
    dstPort: segment.readUInt16BE(2),
    checksumsValid: headerValid && l4Valid,
  };
}
