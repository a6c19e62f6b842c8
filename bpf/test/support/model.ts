// An independent model of the program's backend choice: it reads the live
// lookup table, round-robin cursor and active counts from the maps, and
// applies the algorithm with its own hash code (jhash.ts). If the program
// indexes, hashes or compares differently, fixtures fail.
import type { Algorithm } from '@sluice/api';
import type { DataplaneMaps } from '@sluice/dataplane';
import { serviceKeyOf } from '@sluice/agent/map-entries';
import { type FlowTuple, hashFlow, hashSource } from './jhash.ts';
import { type PacketSpec, TCP, flowKeyOf } from '@sluice/dataplane/test-packets';
import type { Endpoint, ServiceFixture } from './services.ts';
/* LEAST_CONN_CANDIDATES: sluice_shared.h's, generated with the layout. */
import { LEAST_CONN_CANDIDATES, bytesToAddress } from '@sluice/dataplane';

/* The packet's flow key, as the hash reads it. */
export function tupleOf(spec: PacketSpec): FlowTuple {
  const key = flowKeyOf(spec);
  return { src: key.src, dst: key.dst, srcPort: key.src_port, dstPort: key.dst_port, protocol: key.protocol, family: key.family };
}

export class ChoiceModel {
  constructor(private readonly maps: DataplaneMaps) {}

  private endpointOf(backendId: number): Endpoint {
    const backend = this.maps.backends.lookup(backendId);
    if (!backend || backend.family === 0) throw new Error(`model: backend id ${backendId} is not in the maps`);
    return { address: bytesToAddress(backend.family, backend.addr), port: backend.port };
  }

  /** The backend the flow of `spec` (client -> VIP) is tracked on, read from the flow table or the half-open one. */
  flowBackend(spec: PacketSpec): Endpoint {
    const key = flowKeyOf(spec);
    const flow = this.maps.flows.lookup(key) ?? this.maps.halfOpenFlows.lookup(key);
    if (!flow) throw new Error(`model: no flow ${spec.src}:${spec.srcPort} -> ${spec.dst}:${spec.dstPort}`);
    return this.endpointOf(flow.backend_id);
  }

  /** The id the agent gave a backend of a service. */
  backendId(service: ServiceFixture, backend: Endpoint): number {
    const config = this.maps.services.lookup(serviceKeyOf(service));
    for (const [id, entry] of this.maps.backends.entries()) {
      if (entry.family === 0 || entry.service_id !== config?.id) continue;
      if (bytesToAddress(entry.family, entry.addr) === backend.address && entry.port === backend.port) return id;
    }
    throw new Error(`model: ${backend.address}:${backend.port} is not a backend of ${service.address}:${service.port}`);
  }

  newFlowsOf(service: ServiceFixture, backend: Endpoint): number {
    return Number(this.maps.backendCounters.lookupSum(this.backendId(service, backend))?.new_flows ?? 0n);
  }

  /** The backend a new flow of `spec` to `service` must get, given the maps right now. */
  expectedBackend(service: ServiceFixture, spec: PacketSpec): Endpoint {
    const config = this.maps.services.lookup(serviceKeyOf(service));
    if (!config) throw new Error(`model: service ${service.address}:${service.port} is not in the maps`);
    const table = this.maps.lookupTables.lookup(config.id * 2 + config.active_table);
    if (!table) throw new Error('model: no live lookup table');
    const { slots } = table;
    const length = config.sequence_length;
    const algorithm = service.algorithm as Algorithm;
    const tuple = tupleOf(spec);
    switch (algorithm) {
      case 'round-robin':
      case 'weighted-round-robin': {
        /* Only a packet that opens a connection takes a turn; a mid-stream TCP packet goes by its hash. */
        if (spec.protocol === 'tcp' && ((spec.tcpFlags ?? TCP.ACK) & (TCP.SYN | TCP.ACK)) !== TCP.SYN) return this.endpointOf(slots[hashFlow(tuple) % length]!);
        const cursor = this.maps.rrCursors.lookup(config.id) ?? 0n;
        return this.endpointOf(slots[Number(cursor % BigInt(length))]!);
      }
      case 'source-hash':
        return this.endpointOf(slots[hashSource(tuple) % slots.length]!);
      case 'maglev':
        return this.endpointOf(slots[hashFlow(tuple) % slots.length]!);
      case 'least-connections':
        return this.endpointOf(this.leastConnected(slots, hashFlow(tuple) % length, length));
    }
  }

  private leastConnected(slots: Uint16Array, start: number, length: number): number {
    let best = -1;
    let bestActive = 0n;
    let bestWeight = 1n;
    for (let k = 0; k < LEAST_CONN_CANDIDATES; k++) {
      const id = slots[(start + k) % length]!;
      const weight = BigInt(this.maps.backends.lookup(id)?.weight ?? 0);
      if (weight === 0n) continue;
      const active = this.maps.backendActive.lookup(id) ?? 0n;
      if (best < 0 || active * bestWeight < bestActive * weight) [best, bestActive, bestWeight] = [id, active, weight];
    }
    return best;
  }
}
