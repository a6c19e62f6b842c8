/*
 * The ways through the LB namespace, measured in the same rounds: plain
 * kernel routing to one backend (no balancing at all), nftables DNAT,
 * HAProxy (TCP mode, HTTP only), Sluice in nat, and Sluice's UDP service in
 * dsr and in ipip (UDP only: the same flood as nat's, to the same VIP, with
 * the backends prepared for the mode). Each brings up what it needs and
 * takes it away again, so no scenario pays for another's hooks.
 */
import { HTTP_PORT, UDP_PORT, VIPS, type BenchNetwork } from './network.js';
import { nftablesDown, nftablesUp } from './nftables.js';
import { type BypassMode, prepareBackends, restoreBackends } from './backend-modes.js';
import { type SluiceDataplane, startSluice, stopSluice } from './sluice-dataplane.js';
import { ceilingDown, ceilingUp } from './ceiling.js';

export type ScenarioName = 'plain-routing' | 'nftables-dnat' | 'haproxy-tcp' | 'sluice' | 'sluice-dsr' | 'sluice-ipip' | 'xdp-ceiling';

export interface Scenario {
  name: ScenarioName;
  label: string;
  /** Where the client sends: a VIP, or backend 1 itself for plain routing. */
  destination(net: BenchNetwork): string;
  http: boolean;
  udp: boolean;
  /** Sluice's forwarding mode of the UDP service, for Sluice's scenarios. */
  mode?: 'nat' | BypassMode;
  up(net: BenchNetwork): Promise<void>;
  /** Sluice's scenarios return its global counters (the nonzero ones). */
  down(net: BenchNetwork): Promise<Record<string, number> | undefined>;
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

/* dsr and ipip: the UDP service alone, so its counters are the flood's only. */
function udpOnlyConfig(backends: string[], mode: BypassMode) {
  const pool = backends.map((address) => ({ address, port: UDP_PORT }));
  return { services: [{ address: VIPS.sluice, port: UDP_PORT, protocol: 'udp', algorithm: 'round-robin', mode, backends: pool }] };
}

let sluice: SluiceDataplane | undefined;
/* The VIP the backends hold on their loopback while a scenario runs (dsr, ipip, the ceiling). */
let preparedFor: string | undefined;

async function stopSluiceCounters(): Promise<Record<string, number>> {
  const counters = await stopSluice(sluice);
  sluice = undefined;
  return counters;
}

function bypassScenario(mode: BypassMode): Scenario {
  return {
    name: `sluice-${mode}`,
    label: `Sluice XDP ${mode} (round robin)`,
    destination: () => VIPS.sluice,
    http: false,
    udp: true,
    mode,
    up: async (net) => {
      preparedFor = VIPS.sluice;
      await prepareBackends(net, mode, VIPS.sluice);
      /* The outer source: the LB's address on the first backend's link, which every backend routes back to by its default route. */
      const source = mode === 'ipip' ? net.topology.lb.interfaces.find((i) => i.faces.role === 'backend')!.ipv4 : undefined;
      sluice = await startSluice(net.lbNs, net.lbInterfaces, udpOnlyConfig(net.backendAddresses, mode), source);
    },
    down: async (net) => {
      try {
        return await stopSluiceCounters();
      } finally {
        preparedFor = undefined;
        await restoreBackends(net, VIPS.sluice);
      }
    },
  };
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'plain-routing',
    label: 'plain kernel routing to one backend',
    destination: (net) => net.backendAddresses[0]!,
    http: true,
    udp: true,
    up: async () => {},
    down: async () => undefined,
  },
  {
    name: 'nftables-dnat',
    label: 'nftables DNAT (round robin)',
    destination: () => VIPS.nftables,
    http: true,
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
    http: true,
    udp: false,
    up: async () => {},
    down: async () => undefined,
  },
  {
    name: 'sluice',
    label: 'Sluice XDP nat (round robin)',
    destination: () => VIPS.sluice,
    http: true,
    udp: true,
    mode: 'nat',
    up: async (net) => {
      sluice = await startSluice(net.lbNs, net.lbInterfaces, sluiceConfig(net.backendAddresses));
    },
    down: () => stopSluiceCounters(),
  },
  bypassScenario('dsr'),
  bypassScenario('ipip'),
  {
    name: 'xdp-ceiling',
    label: 'XDP that only rewrites MACs and redirects (the ceiling of this path)',
    destination: () => VIPS.ceiling,
    http: false,
    udp: true,
    up: async (net) => {
      /* Its datagrams keep the VIP as destination, as in dsr: the backends hold it on their loopback. */
      preparedFor = VIPS.ceiling;
      await prepareBackends(net, 'dsr', VIPS.ceiling);
      await ceilingUp(net);
    },
    down: async (net) => {
      try {
        await ceilingDown(net);
      } finally {
        preparedFor = undefined;
        await restoreBackends(net, VIPS.ceiling);
      }
      return undefined;
    },
  },
];

/** Whatever is still up after a failure. */
export async function scenariosCleanup(net: BenchNetwork | undefined): Promise<void> {
  await stopSluice(sluice);
  sluice = undefined;
  await ceilingDown(net);
  if (net && preparedFor) await restoreBackends(net, preparedFor);
  preparedFor = undefined;
  if (net) await nftablesDown(net.lbNs);
}
