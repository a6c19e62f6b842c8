// Shorthands for the packets of a flow: client -> VIP and backend -> client.
import { type PacketSpec, TCP } from '@sluice/dataplane/test-packets';
import type { Endpoint, ServiceFixture } from './services.ts';

export { TCP };

export function toVip(service: ServiceFixture, client: string, clientPort: number, extra: Partial<PacketSpec> = {}): PacketSpec {
  return {
    src: client,
    dst: service.address,
    srcPort: clientPort,
    dstPort: service.port,
    protocol: service.protocol,
    ...(service.protocol === 'tcp' ? { tcpFlags: TCP.ACK } : {}),
    ...extra,
  };
}

/** The backend's answer to a client -> VIP packet, before the balancer rewrites it. */
export function fromBackend(forward: PacketSpec, backend: Endpoint, extra: Partial<PacketSpec> = {}): PacketSpec {
  return {
    src: backend.address,
    dst: forward.src,
    srcPort: backend.port,
    dstPort: forward.srcPort,
    protocol: forward.protocol,
    ...(forward.protocol === 'tcp' ? { tcpFlags: TCP.ACK } : {}),
    ...extra,
  };
}

export const vipOf = (service: ServiceFixture): Endpoint => ({ address: service.address, port: service.port });
