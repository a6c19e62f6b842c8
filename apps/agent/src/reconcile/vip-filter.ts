/*
 * vip_filter: one bit per hash of a VIP address, set while the address is in
 * vips, so the data plane passes the host's own traffic (no VIP) before any
 * flow lookup. The hash is bpf/src/hash.h's vip_filter_bit, bit for bit (the
 * packet fixtures fail on a disagreement: VIP traffic would pass untouched).
 * Two addresses may share a bit, so every write recomputes the whole filter
 * from the full set of addresses, and only changed words are written.
 */
import { endianness } from 'node:os';
import type { BpfMap } from '@sluice/dataplane';
import { SluiceVipFilter } from '@sluice/dataplane';

const { VIP_FILTER_BITS_LOG2, VIP_FILTER_WORDS, VIP_FILTER_MULTIPLIER } = SluiceVipFilter;
const LE = endianness() === 'LE';

/** The address's bit: its four 32-bit words as the packet holds them (network order), read in host order. */
export function vipFilterBit(addr: Buffer): number {
  const word = (at: number) => (LE ? addr.readUInt32LE(at) : addr.readUInt32BE(at));
  const x = (word(0) ^ word(4) ^ word(8) ^ word(12)) >>> 0;
  return Math.imul(x, VIP_FILTER_MULTIPLIER) >>> (32 - VIP_FILTER_BITS_LOG2);
}

/** The filter's words for these addresses (16 bytes each, IPv4 in the first 4). */
export function vipFilterWords(addresses: Iterable<Buffer>): BigUint64Array {
  const words = new BigUint64Array(VIP_FILTER_WORDS);
  for (const addr of addresses) {
    const bit = vipFilterBit(addr);
    words[bit >> 6]! |= 1n << BigInt(bit & 63);
  }
  return words;
}

export class VipFilterWriter {
  /** What the map holds, as far as this writer knows; undefined until the first write (then every word is written). */
  private written: BigUint64Array | undefined;

  constructor(private readonly map: BpfMap<number, bigint>) {}

  /** Makes the map's bits exactly those of `addresses`. */
  write(addresses: Iterable<Buffer>): void {
    const words = vipFilterWords(addresses);
    const before = this.written;
    this.written = undefined;
    for (let i = 0; i < words.length; i++) if (!before || before[i] !== words[i]) this.map.update(i, words[i]!);
    this.written = words;
  }
}
