// Internet checksum (RFC 1071) computed from scratch, independently of the
// data plane's incremental updates, so fixtures can check its arithmetic.

/** One's-complement sum of 16-bit big-endian words, folded to 16 bits. */
export function onesComplementSum(...parts: Buffer[]): number {
  let sum = 0;
  for (const part of parts) {
    for (let i = 0; i + 1 < part.length; i += 2) sum += part.readUInt16BE(i);
    if (part.length % 2 === 1) sum += part[part.length - 1]! << 8;
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

export function internetChecksum(...parts: Buffer[]): number {
  return ~onesComplementSum(...parts) & 0xffff;
}

/** The pseudo-header TCP and UDP checksums cover. */
export function pseudoHeader(family: 4 | 6, src: Buffer, dst: Buffer, protocol: number, l4Length: number): Buffer {
  if (family === 4) {
    const header = Buffer.alloc(12);
    src.copy(header, 0);
    dst.copy(header, 4);
    header[9] = protocol;
    header.writeUInt16BE(l4Length, 10);
    return header;
  }
  const header = Buffer.alloc(40);
  src.copy(header, 0);
  dst.copy(header, 16);
  header.writeUInt32BE(l4Length, 32);
  header[39] = protocol;
  return header;
}
