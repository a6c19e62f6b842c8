/*
 * The backend_endpoints map: for every backend endpoint (address:port:
 * protocol), the services it serves as (service id, backend id) pairs. The
 * reply path finds a reply's flow through it, so a pair is written before
 * any lookup table names its backend and removed only when the backend is
 * freed; its bit in endpoint_filter is set after the entry is written and
 * cleared after it is deleted. Kept mirrored in memory: each change writes
 * one whole entry.
 *
 * endpoint_slots: per filter bit, 1 + the backend id of the endpoint there,
 * when it is the only endpoint with that bit and has one pair (bpf/src/
 * maps.h), else 0. A slot is cleared before its endpoint gains a second pair
 * and set only once the endpoint's entry says one; the data plane checks the
 * backend's endpoint and the flow's backend, so a reply is never misled by it.
 */
import type { BpfMap } from '@sluice/dataplane';
import { type EndpointOwners, type ServiceKey, endpointOwnersLayout } from '@sluice/dataplane';
import { EndpointFilterWriter, endpointFilterBit } from './endpoint-filter.js';

interface Owner {
  serviceId: number;
  backendId: number;
}

/** MAX_SERVICES_PER_ENDPOINT of the shared header: the length of an entry's arrays. */
export const MAX_SERVICES_PER_ENDPOINT = endpointOwnersLayout.members.find((m) => m.name === 'service_ids')!.length!;

/** One string per endpoint key, for the mirror and for counting. */
export const endpointId = (key: ServiceKey) => `${key.family}/${key.addr.toString('hex')}/${key.port}/${key.protocol}`;

interface Entry {
  key: ServiceKey;
  pairs: Owner[];
}

export class EndpointOwnersWriter {
  private readonly owners = new Map<string, Entry>();

  private readonly filter: EndpointFilterWriter;

  /** Filter bit -> the endpoints with that bit: a bit is set in endpoint_filter while it has one. */
  private readonly byBit = new Map<number, Set<Entry>>();

  /** Filter bit -> its slot's value, where not 0: a change writes only a slot that changes. */
  private readonly slotValues = new Map<number, number>();

  constructor(
    private readonly map: BpfMap<ServiceKey, EndpointOwners>,
    filter: BpfMap<number, bigint>,
    private readonly slots: BpfMap<number, number>,
  ) {
    this.filter = new EndpointFilterWriter(filter, (bit) => this.byBit.has(bit));
  }

  /**
   * Learns the pairs of a running data plane (agent restart, upgrade) and
   * puts every slot right: written only where the map differs (an upgrade
   * from a build without slots, an agent that died between two writes).
   */
  adopt(): void {
    for (const [key, value] of this.map.entries()) {
      const pairs = Array.from({ length: value.count }, (_, i) => ({ serviceId: value.service_ids[i]!, backendId: value.backend_ids[i]! }));
      const entry = { key, pairs };
      this.owners.set(endpointId(key), entry);
      this.indexBit(entry);
    }
    this.filter.writeWordsOf(this.byBit.keys());
    const stale: [number, number][] = [];
    this.slots.valuesBelow(this.slots.maxEntries).forEach((value, bit) => {
      const wanted = this.slotValue(bit);
      if (wanted !== 0) this.slotValues.set(bit, wanted);
      if (value !== wanted) stale.push([bit, wanted]);
    });
    this.slots.updateMany(stale);
  }

  /** How many (service, backend) pairs the endpoint has now: live and retired backends. */
  pairCount(key: ServiceKey): number {
    return this.owners.get(endpointId(key))?.pairs.length ?? 0;
  }

  add(key: ServiceKey, serviceId: number, backendId: number): void {
    const id = endpointId(key);
    const entry: Entry = this.owners.get(id) ?? { key, pairs: [] };
    if (entry.pairs.some((p) => p.backendId === backendId)) return;
    /* checkLimits refuses such a state before any write; this guards the map's arrays. */
    if (entry.pairs.length >= MAX_SERVICES_PER_ENDPOINT) throw new Error(`endpoint ${id} already serves ${MAX_SERVICES_PER_ENDPOINT} services`);
    const isNew = entry.pairs.length === 0;
    /* A second pair: the slot must not name the first alone once the entry names both. */
    if (!isNew) this.writeSlot(endpointFilterBit(key), 0);
    entry.pairs.push({ serviceId, backendId });
    this.owners.set(id, entry);
    this.write(entry);
    if (!isNew) return;
    const bit = this.indexBit(entry);
    if (this.byBit.get(bit)!.size === 1) this.filter.writeWordOf(bit);
    this.writeSlot(bit, this.slotValue(bit));
  }

  remove(key: ServiceKey, backendId: number): void {
    const id = endpointId(key);
    const entry = this.owners.get(id);
    if (!entry) return;
    const bit = endpointFilterBit(key);
    entry.pairs = entry.pairs.filter((p) => p.backendId !== backendId);
    if (entry.pairs.length > 0) {
      this.write(entry);
      this.writeSlot(bit, this.slotValue(bit));
      return;
    }
    this.writeSlot(bit, 0);
    this.map.delete(key);
    this.owners.delete(id);
    const sharing = this.byBit.get(bit)!;
    sharing.delete(entry);
    if (sharing.size > 0) {
      this.writeSlot(bit, this.slotValue(bit));
      return;
    }
    this.byBit.delete(bit);
    this.filter.writeWordOf(bit);
  }

  /** 1 + the backend id of the one endpoint with this bit, if it has one pair; else 0. */
  private slotValue(bit: number): number {
    const sharing = this.byBit.get(bit);
    if (sharing?.size !== 1) return 0;
    const [entry] = sharing;
    return entry!.pairs.length === 1 ? entry!.pairs[0]!.backendId + 1 : 0;
  }

  private indexBit(entry: Entry): number {
    const bit = endpointFilterBit(entry.key);
    const sharing = this.byBit.get(bit) ?? new Set<Entry>();
    sharing.add(entry);
    this.byBit.set(bit, sharing);
    return bit;
  }

  private writeSlot(bit: number, value: number): void {
    if ((this.slotValues.get(bit) ?? 0) === value) return;
    this.slots.update(bit, value);
    if (value === 0) this.slotValues.delete(bit);
    else this.slotValues.set(bit, value);
  }

  private write(entry: Entry): void {
    const service_ids = new Uint32Array(MAX_SERVICES_PER_ENDPOINT);
    const backend_ids = new Uint32Array(MAX_SERVICES_PER_ENDPOINT);
    entry.pairs.forEach((p, i) => {
      service_ids[i] = p.serviceId;
      backend_ids[i] = p.backendId;
    });
    this.map.update(entry.key, { count: entry.pairs.length, service_ids, backend_ids });
  }
}
