/*
 * The forwarding runs' network: the project's testbed (client -> LB -> 3
 * backends, namespaces only) under the bench's own prefix, plus what the
 * peers and the generator need on top of it.
 */
import { down, up, type Topology } from '@sluice/testbed/topology';
import { tagged } from '@sluice/testbed/tag';
import { mustRun, mustRunIn, runCommand } from '../processes.js';

/* SLUICE_TEST_TAG suffixes it (and the bench's run directory), so two checkouts can bench at once. */
export const PREFIX = tagged('slbn');
/* ceiling: the UDP path's ceiling program (ceiling.ts), which only rewrites MACs and redirects. */
export const VIPS = { sluice: '198.18.100.1', nftables: '198.18.100.2', haproxy: '198.18.100.3', ceiling: '198.18.100.4' } as const;
/* Served by nginx on every backend (nginx.ts); the testbed's Node servers keep their own port and idle. */
export const HTTP_PORT = 8088;
/* No backend listens here: datagrams are counted and dropped by the backends (udp.ts's sink). */
export const UDP_PORT = 9999;
/* 198.18.0.100-227: the generator's client addresses, inside the client subnet so replies and rp_filter behave. */
export const GENERATOR_SOURCE_BASE = '198.18.0.100';

export interface BenchNetwork {
  topology: Topology;
  clientNs: string;
  lbNs: string;
  backendNs: string[];
  backendAddresses: string[];
  lbInterfaces: string[];
  clientMac: string;
  lbClientMac: string;
}

async function macOf(ns: string, ifname: string): Promise<string> {
  const { stdout } = await mustRun('ip', ['-n', ns, '-j', 'link', 'show', 'dev', ifname]);
  return (JSON.parse(stdout) as Array<{ address: string }>)[0]!.address;
}

export async function forwardingNetworkUp(log: (m: string) => void): Promise<BenchNetwork> {
  const topology = await up({ prefix: PREFIX, backends: 3 });
  const lbNs = topology.namespaces.lb;
  const clientNs = topology.namespaces.client;
  /* The client's live frames arrive by XDP_TX; cli0 accepts them only with NAPI on (GRO or an XDP program). */
  await mustRunIn(lbNs, 'ethtool', ['-K', 'cli0', 'gro', 'on']);
  await mustRun('ip', ['-n', lbNs, 'addr', 'add', `${VIPS.haproxy}/32`, 'dev', 'lo']);
  /* Neighbour entries before the first measured packet, so bpf_fib_lookup has answers (a few pings, our own hosts only). */
  for (const target of [topology.client.ipv4, ...topology.backends.map((b) => b.ipv4)]) {
    await runCommand('ip', ['netns', 'exec', lbNs, 'ping', '-c', '1', '-W', '1', target], 5_000);
  }
  /*
   * And kept resolved, as the agent does (forwarding/next-hop-neighbours.ts): a tunnel drops a packet whose
   * next hop has no MAC rather than hand it to the kernel, and on a machine with many namespaces the shared
   * neighbour table's GC removes stale entries after a minute (the ipip figures read 0 that way).
   */
  for (const backend of topology.backends) {
    await mustRun('ip', ['-n', lbNs, 'neigh', 'replace', backend.ipv4, 'dev', backend.lb.interface, 'managed', 'use']);
  }
  log(`testbed ${PREFIX} up`);
  return {
    topology,
    clientNs,
    lbNs,
    backendNs: topology.namespaces.backends,
    backendAddresses: topology.backends.map((b) => b.ipv4),
    lbInterfaces: topology.lb.interfaces.map((i) => i.name),
    clientMac: await macOf(clientNs, 'eth0'),
    lbClientMac: await macOf(lbNs, 'cli0'),
  };
}

export async function forwardingNetworkDown(): Promise<void> {
  await down({ prefix: PREFIX });
}
