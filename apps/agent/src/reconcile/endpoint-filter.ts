/*
 * endpoint_filter: one bit per hash of a backend endpoint, set while the
 * endpoint is in backend_endpoints, so the data plane skips the exact
 * lookup for the many packets that are no reply. The hash is bpf/src/
 * hash.h's endpoint_filter_bit, bit for bit (the packet fixtures fail on a
 * disagreement: replies would pass un-NATed). Bits are counted, since two
 * endpoints may share one.
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

export class EndpointFilterWriter {
  private readonly users = new Map<number, number>();

  constructor(private readonly map: BpfMap<number, bigint>) {}

  /** Call after the endpoint's backend_endpoints entry is written. */
  add(key: ServiceKey): void {
    const bit = endpointFilterBit(key);
    const users = (this.users.get(bit) ?? 0) + 1;
    this.users.set(bit, users);
    if (users === 1) this.writeWordOf(bit);
  }

  /**
   * The endpoints of adopted backend_endpoints entries (agent restart): their
   * bits are written again, each 64-bit word once (4,096 endpoints one by one
   * cost a tenth of a second of the restart).
   */
  addAll(keys: Iterable<ServiceKey>): void {
    const words = new Map<number, bigint>();
    for (const key of keys) {
      const bit = endpointFilterBit(key);
      this.users.set(bit, (this.users.get(bit) ?? 0) + 1);
      const word = Math.floor(bit / 64);
      words.set(word, (words.get(word) ?? 0n) | (1n << BigInt(bit % 64)));
    }
    for (const [word, value] of words) this.map.update(word, value);
  }

  /** Call after the endpoint's backend_endpoints entry is deleted. */
  remove(key: ServiceKey): void {
    const bit = endpointFilterBit(key);
    const users = (this.users.get(bit) ?? 0) - 1;
    if (users > 0) {
      this.users.set(bit, users);
      return;
    }
    this.users.delete(bit);
    this.writeWordOf(bit);
  }

  private writeWordOf(bit: number): void {
    const word = Math.floor(bit / 64);
    let value = 0n;
    for (let b = word * 64; b < word * 64 + 64; b++) if (this.users.has(b)) value |= 1n << BigInt(b % 64);
    this.map.update(word, value);
  }
}
