/*
 * The failover tests' network (issue 12): the ECMP testbed with three
 * balancer nodes, each running the real agent and its BIRD, and three
 * backends ready for dsr and ipip (`sluice backend-host attach`). Every node
 * gets the same services from one config file: maglev in dsr and in ipip, and
 * source hash in dsr, a line service (held connections) and an HTTP service
 * (new connections) on each VIP.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PORTS } from '@sluice/testbed/addresses';
import { type Ecmp, type EcmpNode, ecmpDown, ecmpUp, routerGateway, routerNextHops } from '@sluice/testbed/ecmp';
import { type NodeAgent, startNodeAgent, stopNodeAgent } from '@sluice/testbed/ecmp-agent';
import { execIn, execInChecked, run, runChecked } from '@sluice/testbed/netns';
import type { NetlinkMonitor } from '@sluice/testbed/netlink-monitor';
import { failoverServices } from '@sluice/testbed/failover-services';

const SLUICE = fileURLToPath(new URL('../../../apps/agent/bin/sluice.mjs', import.meta.url));
export const LINE = PORTS.tcp;
export const HTTP = PORTS.http;
/*
 * How often each agent reads BIRD. Nothing here waits on that reading (drain
 * and start-up announce at once, a SIGKILLed node's BIRD dies with it), and
 * every read costs several birdc runs: three agents at 250 ms slowed the
 * start-up of the next one on 2 shared cores.
 */
const BIRD_POLL_MS = 1_000;

export type Mode = 'dsr' | 'ipip';
export type Algorithm = 'maglev' | 'source-hash';
/** One VIP per (algorithm, mode) pair the tests cover; each carries LINE and HTTP. */
export interface Target {
  vip: string;
  algorithm: Algorithm;
  mode: Mode;
}

export function targets(ecmp: Ecmp): Target[] {
  const [v1, v2, v3] = ecmp.vips.ipv4;
  return [
    { vip: v1!, algorithm: 'maglev', mode: 'dsr' },
    { vip: v2!, algorithm: 'maglev', mode: 'ipip' },
    { vip: v3!, algorithm: 'source-hash', mode: 'dsr' },
  ];
}

/** The services every node serves, the same on each. */
export const servicesConfig = (ecmp: Ecmp) => failoverServices(targets(ecmp), ecmp.backends);

export interface FailoverNet {
  ecmp: Ecmp;
  runRoot: string;
  /** The running agent of each node, by node name (absent while a node is down). */
  agents: Map<string, NodeAgent>;
}

const backendRunDir = (net: Pick<FailoverNet, 'runRoot'>, name: string) => join(net.runRoot, 'backends', name);

/** A backend that takes ipip as well as dsr: loose rp_filter (the inner source is the client) and the decapsulation program. */
async function prepareTunnelBackend(net: FailoverNet, backend: Ecmp['backends'][number]): Promise<void> {
  await execInChecked(backend.namespace, 'sysctl', ['-qw', 'net.ipv4.conf.all.rp_filter=2', 'net.ipv4.conf.eth0.rp_filter=2']);
  const dir = backendRunDir(net, backend.name);
  mkdirSync(join(dir, 'bpf'), { recursive: true });
  /* ip netns exec mounts a namespace of its own: the pins' bpffs is mounted here, where every command sees it. */
  await runChecked('mount', ['-t', 'bpf', 'bpffs', join(dir, 'bpf')]);
  const args = ['backend-host', 'attach', '--interface', 'eth0', '--mode', 'xdp', '--address', backend.ipv4, '--address', backend.ipv6, '--run-dir', dir];
  const r = await execIn(backend.namespace, process.execPath, [SLUICE, ...args], { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`backend-host attach on ${backend.name} exited ${r.code}: ${r.stderr}${r.stdout}`);
}

/** Starts `node`'s agent with the given services (only read when its store is empty: a restart keeps its store). */
export async function startAgent(net: FailoverNet, node: EcmpNode, options: { extraArgs?: string[] } = {}): Promise<NodeAgent> {
  const configFile = join(net.runRoot, `${node.name}-services.json`);
  writeFileSync(configFile, JSON.stringify(servicesConfig(net.ecmp)));
  const agent = await startNodeAgent(
    net.ecmp,
    node,
    net.runRoot,
    ['--config', configFile, '--tunnel-source4', node.segment.ipv4, '--tunnel-source6', node.segment.ipv6, ...(options.extraArgs ?? [])],
    { pollMs: BIRD_POLL_MS },
  );
  net.agents.set(node.name, agent);
  return agent;
}

export async function failoverUp(prefix: string, runRoot: string, log?: (m: string) => void): Promise<FailoverNet> {
  const ecmp = await ecmpUp({ prefix, nodes: 3, backends: 3, log });
  const net: FailoverNet = { ecmp, runRoot, agents: new Map() };
  try {
    for (const b of ecmp.backends) await prepareTunnelBackend(net, b);
    log?.('backends ready');
    for (const node of ecmp.nodes) await startAgent(net, node);
    log?.('agents ready');
    return net;
  } catch (error) {
    await failoverDown(net, prefix);
    throw error;
  }
}

/** Stops every agent (detaching its program), the network, the backends' pins. Never throws before it has tried everything. */
export async function failoverDown(net: FailoverNet | undefined, prefix: string): Promise<void> {
  for (const agent of net?.agents.values() ?? []) await stopNodeAgent(agent);
  net?.agents.clear();
  await ecmpDown({ prefix });
  if (!net) return;
  for (const b of net.ecmp.backends) await run('umount', [join(backendRunDir(net, b.name), 'bpf')]);
  /* A node killed and never restarted leaves its pins mounted. */
  for (const node of net.ecmp.nodes) await run('umount', [join(net.runRoot, node.name, 'bpf')]);
  rmSync(net.runRoot, { recursive: true, force: true });
}

/** A dead node: SIGKILL of its agent (its BIRD dies with it), then its XDP program detached, as a powered-off machine forwards nothing. */
export async function killNode(net: FailoverNet, node: EcmpNode): Promise<void> {
  const agent = net.agents.get(node.name);
  if (!agent) throw new Error(`node ${node.name} has no running agent to kill`);
  await agent.agent.kill();
  net.agents.delete(node.name);
  for (const ifname of ['eth0', 'eth1']) await execInChecked(node.namespace, 'ip', ['link', 'set', 'dev', ifname, 'xdp', 'off']);
  const left = await execInChecked(node.namespace, 'ip', ['-d', 'link', 'show']);
  if (/prog\/xdp/.test(left.stdout)) throw new Error(`an XDP program is still attached in ${node.namespace}:\n${left.stdout}`);
}

/** The node the router sends this client 5-tuple to now, from its FIB (policy 3 hashes the 5-tuple with a fixed seed). */
export async function routerPath(ecmp: Ecmp, vip: string, sourcePort: number, port: number): Promise<string> {
  const gateway = await routerGateway(ecmp, vip, { protocol: 'tcp', sourcePort, port });
  const node = ecmp.nodes.find((n) => n.uplink.ipv4 === gateway);
  if (!node) throw new Error(`the router has no node for ${vip} sport ${sourcePort} (next hop ${gateway ?? 'none'})`);
  return node.name;
}

/** Polls the router's route for `vip` every 10 ms until `done` holds; resolves with the time it took (ms) and the hops then. */
export async function waitForRoute(ecmp: Ecmp, vip: string, done: (hops: string[]) => boolean, timeoutMs: number) {
  const started = performance.now();
  for (;;) {
    /* Timed from the start of the poll that sees it: `ip`'s own start-up is the test's, not the router's. */
    const pollStarted = performance.now();
    const hops = await routerNextHops(ecmp, vip);
    const ms = pollStarted - started;
    if (done(hops)) return { ms, hops };
    if (ms > timeoutMs) throw new Error(`router route for ${vip} still ${JSON.stringify(hops)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const hopOf = (node: EcmpNode) => node.uplink.ipv4;

/**
 * How long after `since` (epoch ms) the router's kernel changed the route for
 * `vip`: its first route notice naming the VIP (after a node's death, that is
 * its withdrawal; nothing else changes the route then).
 */
export function routeChangedAfter(monitor: NetlinkMonitor, vip: string, since: number): number {
  const event = monitor.first(since, (text) => text.startsWith(`${vip} `) || text.startsWith(`Deleted ${vip} `));
  if (!event) throw new Error(`the router's kernel noticed no change of the route for ${vip} (${monitor.events.length} route notices in all)`);
  return event.at - since;
}
