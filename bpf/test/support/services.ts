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
/* Behind the gateway 198.19.0.254 / 2001:db8:1::fe (fixture-network.sh). */
export const ROUTED_B = { address: '198.20.1.2', port: 8080 };
export const ROUTED_V6_B = { address: '2001:db8:20::2', port: 8080 };
/* Behind the gateway on a route with MTU 1300. */
export const SMALL_MTU_B = { address: '198.21.1.2', port: 8080 };
/* On-link with no neighbour entry. */
export const UNRESOLVED_B = { address: '198.19.9.2', port: 8080 };

/** The data plane's forwarding modes (the agent's schema knows only nat yet: see modes.ts). */
export type ForwardingMode = 'nat' | 'dsr' | 'ipip' | 'gue';

export interface ServiceFixture {
  address: string;
  port: number;
  protocol: Protocol;
  algorithm: Algorithm;
  /** nat when unset. */
  mode?: ForwardingMode;
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

/** On-link (fxb) backends of the forwarding-mode services, on their service's port: DSR and tunnels leave the port as the client sent it. */
const onPort = (port: number, ...hosts: Endpoint[]) => hosts.map((host) => ({ address: host.address, port }));

/*
 * One service per bypass mode x family x protocol (round robin: the first
 * flow goes to the first backend), and the paths DSR refuses and tunnels
 * take through a gateway (fixture-network.sh).
 */
export const MODE_SERVICES = {
  dsrTcp: { address: '198.18.101.1', port: 80, protocol: 'tcp', algorithm: 'round-robin', mode: 'dsr', backends: onPort(80, B1, B2) },
  dsrUdp: { address: '198.18.101.2', port: 53, protocol: 'udp', algorithm: 'round-robin', mode: 'dsr', backends: onPort(53, B1, B2) },
  dsrTcpV6: { address: '2001:db8:101::1', port: 80, protocol: 'tcp', algorithm: 'round-robin', mode: 'dsr', backends: onPort(80, V6_B1, V6_B2) },
  dsrUdpV6: { address: '2001:db8:101::2', port: 53, protocol: 'udp', algorithm: 'round-robin', mode: 'dsr', backends: onPort(53, V6_B1, V6_B2) },
  ipipTcp: { address: '198.18.102.1', port: 80, protocol: 'tcp', algorithm: 'round-robin', mode: 'ipip', backends: onPort(80, B1, B2) },
  ipipUdp: { address: '198.18.102.2', port: 53, protocol: 'udp', algorithm: 'round-robin', mode: 'ipip', backends: onPort(53, B1, B2) },
  ipipTcpV6: { address: '2001:db8:102::1', port: 80, protocol: 'tcp', algorithm: 'round-robin', mode: 'ipip', backends: onPort(80, V6_B1, V6_B2) },
  ipipUdpV6: { address: '2001:db8:102::2', port: 53, protocol: 'udp', algorithm: 'round-robin', mode: 'ipip', backends: onPort(53, V6_B1, V6_B2) },
  gueTcp: { address: '198.18.103.1', port: 80, protocol: 'tcp', algorithm: 'round-robin', mode: 'gue', backends: onPort(80, B1, B2) },
  gueUdp: { address: '198.18.103.2', port: 53, protocol: 'udp', algorithm: 'round-robin', mode: 'gue', backends: onPort(53, B1, B2) },
  gueTcpV6: { address: '2001:db8:103::1', port: 80, protocol: 'tcp', algorithm: 'round-robin', mode: 'gue', backends: onPort(80, V6_B1, V6_B2) },
  gueUdpV6: { address: '2001:db8:103::2', port: 53, protocol: 'udp', algorithm: 'round-robin', mode: 'gue', backends: onPort(53, V6_B1, V6_B2) },
  /* DSR to a backend behind the gateway, and to one with no neighbour entry. */
  dsrRouted: { address: '198.18.104.1', port: 80, protocol: 'tcp', algorithm: 'round-robin', mode: 'dsr', backends: onPort(80, ROUTED_B) },
  dsrRoutedV6: { address: '2001:db8:104::1', port: 80, protocol: 'tcp', algorithm: 'round-robin', mode: 'dsr', backends: onPort(80, ROUTED_V6_B) },
  dsrNoNeighbour: { address: '198.18.104.2', port: 80, protocol: 'tcp', algorithm: 'round-robin', mode: 'dsr', backends: onPort(80, UNRESOLVED_B) },
  /* Tunnels through the gateway: a routed backend, and one on the path with MTU 1300. */
  ipipRouted: { address: '198.18.104.3', port: 80, protocol: 'tcp', algorithm: 'round-robin', mode: 'ipip', backends: onPort(80, ROUTED_B) },
  gueRoutedV6: { address: '2001:db8:104::3', port: 80, protocol: 'tcp', algorithm: 'round-robin', mode: 'gue', backends: onPort(80, ROUTED_V6_B) },
  ipipUnresolved: {
    address: '198.18.104.5',
    port: 80,
    protocol: 'tcp',
    algorithm: 'round-robin',
    mode: 'ipip',
    backends: onPort(80, UNRESOLVED_B),
  },
  /* A dsr and a nat service on one backend endpoint (B3:80): the nat flow's replies are never taken for the dsr flow's. */
  dsrShared: { address: '198.18.105.1', port: 80, protocol: 'tcp', algorithm: 'round-robin', mode: 'dsr', backends: onPort(80, B3) },
  natShared: { address: '198.18.105.2', port: 80, protocol: 'tcp', algorithm: 'round-robin', mode: 'nat', backends: onPort(80, B3) },
  gueSmallMtu: { address: '198.18.104.4', port: 80, protocol: 'tcp', algorithm: 'round-robin', mode: 'gue', backends: onPort(80, SMALL_MTU_B) },
} satisfies Record<string, ServiceFixture>;

/** Every fixture service: the nat ones and the forwarding-mode ones. */
export const ALL_SERVICES: Record<string, ServiceFixture> = { ...SERVICES, ...MODE_SERVICES };

export function configOf(services: Record<string, ServiceFixture>): DataplaneConfig {
  return {
    services: Object.values(services).map(({ mode: _mode, ...service }) => ({
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
