/*
 * The backend_endpoints map: for every backend endpoint (address:port:
 * protocol), the services it serves as (service id, backend id) pairs. The
 * reply path finds a reply's flow through it, so a pair is written before
 * any lookup table names its backend and removed only when the backend is
 * freed; its bit in endpoint_filter is set after the entry is written and
 * cleared after it is deleted. Kept mirrored in memory: each change writes
 * one whole entry.
 */
import type { BpfMap } from '@sluice/dataplane';
import { type EndpointOwners, type ServiceKey, endpointOwnersLayout } from '@sluice/dataplane';
import { EndpointFilterWriter } from './endpoint-filter.js';

interface Owner {
  serviceId: number;
  backendId: number;
}

/** MAX_SERVICES_PER_ENDPOINT of the shared header: the length of an entry's arrays. */
export const MAX_SERVICES_PER_ENDPOINT = endpointOwnersLayout.members.find((m) => m.name === 'service_ids')!.length!;

/** One string per endpoint key, for the mirror and for counting. */
export const endpointId = (key: ServiceKey) => `${key.family}/${key.addr.toString('hex')}/${key.port}/${key.protocol}`;

export class EndpointOwnersWriter {
  private readonly owners = new Map<string, { key: ServiceKey; pairs: Owner[] }>();

  private readonly filter: EndpointFilterWriter;

  constructor(
    private readonly map: BpfMap<ServiceKey, EndpointOwners>,
    filter: BpfMap<number, bigint>,
  ) {
    this.filter = new EndpointFilterWriter(filter);
  }

  /** Learns the pairs of a running data plane (agent restart). */
  adopt(): void {
    for (const [key, value] of this.map.entries()) {
      const pairs = Array.from({ length: value.count }, (_, i) => ({ serviceId: value.service_ids[i]!, backendId: value.backend_ids[i]! }));
      this.owners.set(endpointId(key), { key, pairs });
    }
    this.filter.addAll([...this.owners.values()].map((entry) => entry.key));
  }

  /** How many (service, backend) pairs the endpoint has now: live and retired backends. */
  pairCount(key: ServiceKey): number {
    return this.owners.get(endpointId(key))?.pairs.length ?? 0;
  }

  add(key: ServiceKey, serviceId: number, backendId: number): void {
    const id = endpointId(key);
    const entry = this.owners.get(id) ?? { key, pairs: [] };
    if (entry.pairs.some((p) => p.backendId === backendId)) return;
    /* checkLimits refuses such a state before any write; this guards the map's arrays. */
    if (entry.pairs.length >= MAX_SERVICES_PER_ENDPOINT) throw new Error(`endpoint ${id} already serves ${MAX_SERVICES_PER_ENDPOINT} services`);
    const isNew = entry.pairs.length === 0;
    entry.pairs.push({ serviceId, backendId });
    this.owners.set(id, entry);
    this.write(entry);
    if (isNew) this.filter.add(key);
  }

  remove(key: ServiceKey, backendId: number): void {
    const id = endpointId(key);
    const entry = this.owners.get(id);
    if (!entry) return;
    entry.pairs = entry.pairs.filter((p) => p.backendId !== backendId);
    if (entry.pairs.length > 0) {
      this.write(entry);
      return;
    }
    this.map.delete(key);
    this.owners.delete(id);
    this.filter.remove(key);
  }

  private write(entry: { key: ServiceKey; pairs: Owner[] }): void {
    const service_ids = new Uint32Array(MAX_SERVICES_PER_ENDPOINT);
    const backend_ids = new Uint32Array(MAX_SERVICES_PER_ENDPOINT);
    entry.pairs.forEach((p, i) => {
      service_ids[i] = p.serviceId;
      backend_ids[i] = p.backendId;
    });
    this.map.update(entry.key, { count: entry.pairs.length, service_ids, backend_ids });
  }
}
