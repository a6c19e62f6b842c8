/*
 * Builds data-plane configurations for the testbed: services on the
 * suggested VIPs, whose backends are the testbed's backends by name
 * (be1, be2, ...) with per-name weights and admin states.
 */
import { type AdminState, type Algorithm, type DataplaneConfig, type Protocol, type ServiceSpec, formatEndpoint, serviceName } from '@sluice/api';
import type { Topology } from '@sluice/testbed/topology';

export type { Algorithm, DataplaneConfig, ServiceSpec };
export type Family = 'ipv4' | 'ipv6';
export const FAMILIES: Family[] = ['ipv4', 'ipv6'];

export interface ServiceOptions {
  family: Family;
  /** 1-based index into the testbed's suggested VIPs. */
  vip: number;
  port: number;
  protocol?: Protocol;
  algorithm: Algorithm;
  /** Which backends, by name; all of the testbed's by default. */
  backends?: string[];
  weights?: Record<string, number>;
  states?: Record<string, AdminState>;
}

export function vipAddress(topology: Topology, family: Family, vip: number): string {
  const address = topology.vips[family][vip - 1];
  if (!address) throw new Error(`no ${family} VIP number ${vip} in the testbed`);
  return address;
}

export function backendAddress(topology: Topology, name: string, family: Family): string {
  const backend = topology.backends.find((b) => b.name === name);
  if (!backend) throw new Error(`no backend ${name} in the testbed`);
  return backend[family];
}

/** The endpoint as the reconciler's health view names it: "198.19.2.2:8080", "[2001:db8:1:2::2]:8080". */
export function backendEndpoint(topology: Topology, name: string, family: Family, port: number): string {
  return formatEndpoint(backendAddress(topology, name, family), port);
}

export function service(topology: Topology, options: ServiceOptions): ServiceSpec {
  const names = options.backends ?? topology.backends.map((b) => b.name);
  return {
    address: vipAddress(topology, options.family, options.vip),
    port: options.port,
    protocol: options.protocol ?? 'tcp',
    algorithm: options.algorithm,
    mode: 'nat',
    backends: names.map((name) => ({
      address: backendAddress(topology, name, options.family),
      port: options.port,
      weight: options.weights?.[name] ?? 1,
      state: options.states?.[name] ?? 'ready',
    })),
  };
}

/** The reconciler's name of a service: "198.18.100.1:9000/tcp". */
export { serviceName };

/** Maps "<endpoint>" -> count (as the harness reports it) to "<backend name>" -> count. */
export function byBackendName(topology: Topology, family: Family, port: number, byEndpoint: Record<string, number>): Record<string, number> {
  const result: Record<string, number> = {};
  for (const backend of topology.backends) {
    const count = byEndpoint[backendEndpoint(topology, backend.name, family, port)];
    if (count !== undefined) result[backend.name] = count;
  }
  return result;
}

export function config(...services: ServiceSpec[]): DataplaneConfig {
  return { services };
}
