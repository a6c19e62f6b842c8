/*
 * The services the failover tests and demos give every balancer node (the
 * ECMP nodes', the active/standby pair's): for each target VIP a line port
 * (held connections) and an HTTP port (new connections), every backend
 * simply ready, no health check (other tests' subject).
 */
import { PORTS } from './addresses.ts';

export interface FailoverTarget {
  vip: string;
  algorithm: string;
  mode: string;
}

/** weightOf: a backend's weight by its index (weighted round robin needs unequal ones). */
export function failoverServices(
  targets: FailoverTarget[],
  backends: { ipv4: string }[],
  weightOf: (target: FailoverTarget, index: number) => number = () => 1,
) {
  return {
    version: 1,
    services: targets.flatMap((t) =>
      [PORTS.tcp, PORTS.http].map((port) => ({
        address: t.vip,
        port,
        protocol: 'tcp',
        algorithm: t.algorithm,
        mode: t.mode,
        healthCheck: { type: 'none' },
        backends: backends.map((b, k) => ({ address: b.ipv4, port, weight: weightOf(t, k), state: 'ready' })),
      })),
    ),
  };
}
