/*
 * endpoint_filter: one bit per hash of a backend endpoint, set while the
 * endpoint is in backend_endpoints, so the data plane skips the exact
 * lookup for the many packets that are no reply. The hash is bpf/src/
 * hash.h's endpoint_filter_bit, bit for bit (the packet fixtures fail on a
 * disagreement: replies would pass un-NATed). Two endpoints may share a
 * bit: it stays set until both are gone.
 */
import { endianness } from 'node:os';
import type { BpfMap } from '@sluice/dataplane';
import { type ServiceKey, SluiceEndpointFilter } from '@sluice/dataplane';

const { ENDPOINT_FILTER_BITS_LOG2, ENDPOINT_FILTER_MULTIPLIER } = SluiceEndpointFilter;
const LE = endianness() === 'LE';

/* An address word as the program reads it (host order). Not a closure in endpointFilterBit: the bundle's keepNames names every closure as it is made. */
const wordAt = (addr: Buffer, at: number) => (LE ? addr.readUInt32LE(at) : addr.readUInt32BE(at));

/** The endpoint's bit: the address words and the port as the packet holds them, read in host order. */
export function endpointFilterBit(key: ServiceKey): number {
  const { addr } = key;
  const portAsStored = LE ? ((key.port & 0xff) << 8) | (key.port >> 8) : key.port;
  const x = (wordAt(addr, 0) ^ wordAt(addr, 4) ^ wordAt(addr, 8) ^ wordAt(addr, 12) ^ (portAsStored << 16) ^ key.protocol) >>> 0;
  return Math.imul(x, ENDPOINT_FILTER_MULTIPLIER) >>> (32 - ENDPOINT_FILTER_BITS_LOG2);
}

/**
 * Writes endpoint_filter's 64-bit words. Which bits are set is the caller's
 * (EndpointOwnersWriter's index of endpoints by bit), so the membership has
 * one home and two endpoints sharing a bit need no count here.
 */
export class EndpointFilterWriter {
  constructor(
    private readonly map: BpfMap<number, bigint>,
    private readonly isSet: (bit: number) => boolean,
  ) {}

  /** The word holding `bit`, as isSet has it: after the first endpoint on the bit is written, or the last one deleted. */
  writeWordOf(bit: number): void {
    const word = Math.floor(bit / 64);
    let value = 0n;
    for (let b = word * 64; b < word * 64 + 64; b++) if (this.isSet(b)) value |= 1n << BigInt(b % 64);
    this.map.update(word, value);
  }

  /**
   * The words holding these set bits, each once (agent restart: 4,096
   * endpoints one by one cost a tenth of a second of it).
   */
  writeWordsOf(bits: Iterable<number>): void {
    const words = new Map<number, bigint>();
    for (const bit of bits) {
      const word = Math.floor(bit / 64);
      words.set(word, (words.get(word) ?? 0n) | (1n << BigInt(bit % 64)));
    }
    for (const [word, value] of words) this.map.update(word, value);
  }
}
