// The services the fixtures run against, and the addresses they use.
import type { Algorithm, BackendSpec, DataplaneConfig, Protocol } from '@sluice/api';

export interface Endpoint {
  address: string;
  port: number;
}

export const CLIENT = '198.18.0.2';
export const CLIENT_2 = '198.18.0.3';
export const CLIENT_V6 = '2001:db8::2';

export const B1 = { address: '198.19.1.2', port: 8080 };
export const B2 = { address: '198.19.2.2', port: 8080 };
export const B3 = { address: '198.19.3.2', port: 8080 };
export const B4 = { address: '198.19.4.2', port: 8080 };
export const V6_B1 = { address: '2001:db8:1:1::2', port: 8080 };
export const V6_B2 = { address: '2001:db8:1:2::2', port: 8080 };
export const V6_B3 = { address: '2001:db8:1:3::2', port: 8080 };

export interface ServiceFixture {
  address: string;
  port: number;
  protocol: Protocol;
  algorithm: Algorithm;
  /** New connections per client per second; 0 or unset: no limit. */
  clientRate?: number;
  backends: Array<Endpoint & Partial<Pick<BackendSpec, 'weight' | 'state'>>>;
}

const backendsOn = (port: number, ...hosts: Endpoint[]) => hosts.map((host) => ({ address: host.address, port }));

export const SERVICES = {
  roundRobin: { address: '198.18.100.1', port: 80, protocol: 'tcp', algorithm: 'round-robin', backends: [B1, B2, B3] },
  weightedUdp: {
    address: '198.18.100.2',
    port: 53,
    protocol: 'udp',
    algorithm: 'weighted-round-robin',
    backends: [
      { ...B1, port: 5353, weight: 1 },
      { ...B2, port: 5353, weight: 2 },
      { ...B3, port: 5353, weight: 3 },
    ],
  },
  sourceHash: { address: '198.18.100.3', port: 80, protocol: 'tcp', algorithm: 'source-hash', backends: [B1, B2, B3] },
  maglev: { address: '198.18.100.4', port: 80, protocol: 'tcp', algorithm: 'maglev', backends: [B1, B2, B3] },
  leastConnections: {
    address: '198.18.100.5',
    port: 80,
    protocol: 'tcp',
    algorithm: 'least-connections',
    backends: [B1, B2, B3],
  },
  noBackends: { address: '198.18.100.6', port: 80, protocol: 'tcp', algorithm: 'round-robin', backends: [] },
  noNeighbour: {
    address: '198.18.100.7',
    port: 80,
    protocol: 'tcp',
    algorithm: 'round-robin',
    backends: [{ address: '198.19.9.2', port: 8080 }],
  },
  sticky: { address: '198.18.100.8', port: 443, protocol: 'tcp', algorithm: 'round-robin', backends: [B1, B2, B3] },
  v6Maglev: {
    address: '2001:db8:100::1',
    port: 80,
    protocol: 'tcp',
    algorithm: 'maglev',
    backends: [V6_B1, V6_B2, V6_B3],
  },
  v6Udp: {
    address: '2001:db8:100::2',
    port: 53,
    protocol: 'udp',
    algorithm: 'round-robin',
    backends: backendsOn(5353, V6_B1, V6_B2),
  },
  udpRoundRobin: {
    address: '198.18.100.1',
    port: 53,
    protocol: 'udp',
    algorithm: 'round-robin',
    backends: backendsOn(5353, B1, B2),
  },
} satisfies Record<string, ServiceFixture>;

export function configOf(services: Record<string, ServiceFixture>): DataplaneConfig {
  return {
    services: Object.values(services).map((service) => ({
      ...service,
      mode: 'nat',
      clientRate: service.clientRate ?? 0,
      backends: service.backends.map((backend) => ({
        address: backend.address,
        port: backend.port,
        weight: backend.weight ?? 1,
        state: backend.state ?? 'ready',
      })),
    })),
  };
}
