/*
 * The four ways through the LB namespace, measured in the same rounds:
 * plain kernel routing to one backend (no balancing at all), nftables DNAT,
 * HAProxy (TCP mode, HTTP only) and Sluice. Each brings up what it needs and
 * takes it away again, so no scenario pays for another's hooks.
 */
import { HTTP_PORT, UDP_PORT, VIPS, type BenchNetwork } from './network.js';
import { nftablesDown, nftablesUp } from './nftables.js';
import { type SluiceDataplane, startSluice, stopSluice } from './sluice-dataplane.js';

export type ScenarioName = 'plain-routing' | 'nftables-dnat' | 'haproxy-tcp' | 'sluice';

export interface Scenario {
  name: ScenarioName;
  label: string;
  /** Where the client sends: a VIP, or backend 1 itself for plain routing. */
  destination(net: BenchNetwork): string;
  udp: boolean;
  up(net: BenchNetwork): Promise<void>;
  /** Returns diagnostics worth keeping (Sluice: its counters). */
  down(net: BenchNetwork): Promise<string | undefined>;
}

function sluiceConfig(backends: string[]) {
  const pool = (port: number) => backends.map((address) => ({ address, port }));
  return {
    services: [
      { address: VIPS.sluice, port: HTTP_PORT, protocol: 'tcp', algorithm: 'round-robin', backends: pool(HTTP_PORT) },
      { address: VIPS.sluice, port: UDP_PORT, protocol: 'udp', algorithm: 'round-robin', backends: pool(UDP_PORT) },
    ],
  };
}

let sluice: SluiceDataplane | undefined;

export const SCENARIOS: Scenario[] = [
  {
    name: 'plain-routing',
    label: 'plain kernel routing to one backend',
    destination: (net) => net.backendAddresses[0]!,
    udp: true,
    up: async () => {},
    down: async () => undefined,
  },
  {
    name: 'nftables-dnat',
    label: 'nftables DNAT (round robin)',
    destination: () => VIPS.nftables,
    udp: true,
    up: (net) => nftablesUp(net.lbNs, net.backendAddresses),
    down: async (net) => {
      await nftablesDown(net.lbNs);
      return undefined;
    },
  },
  {
    name: 'haproxy-tcp',
    label: 'HAProxy, TCP mode (round robin)',
    destination: () => VIPS.haproxy,
    udp: false,
    up: async () => {},
    down: async () => undefined,
  },
  {
    name: 'sluice',
    label: 'Sluice XDP (round robin)',
    destination: () => VIPS.sluice,
    udp: true,
    up: async (net) => {
      sluice = await startSluice(net.lbNs, net.lbInterfaces, sluiceConfig(net.backendAddresses));
    },
    down: async () => {
      const counters = await stopSluice(sluice);
      sluice = undefined;
      return Object.entries(counters)
        .map(([k, v]) => `${k.replace('CNT_', '').toLowerCase()}=${v}`)
        .join(' ');
    },
  },
];

/** Whatever is still up after a failure. */
export async function scenariosCleanup(net: BenchNetwork | undefined): Promise<void> {
  await stopSluice(sluice);
  sluice = undefined;
  if (net) await nftablesDown(net.lbNs);
}
