// The several-nodes network (issue 12): a router running BIRD spreads the
// VIPs over 2 or 3 balancer nodes by ECMP, each node announcing them over
// BGP (with BFD) from its own namespace; the nodes share one backend segment.
//
//   <p>-client eth0 ── cli0 <p>-rt up1 ── eth0 <p>-n1 eth1 ──┐
//                               up2 ── eth0 <p>-n2 eth1 ──┤ bridge seg (in <p>-rt, gateway 198.19.0.1)
//                               up3 ── eth0 <p>-n3 eth1 ──┤
//                                                         ├── eth0 <p>-be1, <p>-be2, ... (VIPs on lo)
//
// The router learns the VIPs only from BGP (its import filter takes nothing
// else), installs them as one multipath route (BIRD's kernel protocol with
// `merge paths on`) and hashes flows over the next hops with
// fib_multipath_hash_policy 3 on the fields 0x0037 (addresses, protocol,
// ports) and a fixed seed, so a test can predict which node gets a 5-tuple
// (`ip route get ... iif cli0 ipproto udp sport S dport D`). Backends hold
// the VIPs on lo with arp_ignore/arp_announce set (dsr) and route through
// the router, so replies never pass a node. The router drops a VIP packet
// that comes back from a node (no loop). Nothing links to the root
// namespace and nothing routes out. The nodes' own speakers are not started
// here: a test starts a BIRD per node, or an agent does.
import { DEFAULT_BACKENDS, MAX_BACKENDS, PORTS, type Ports } from './addresses.ts';
import { type BirdDaemon, startBird, stopBirds } from './bird.ts';
import { address, bridge, bridgePort, createNamespace, defaultRoutes, ip, link, networkDown, sysctl } from './links.ts';
import { execInChecked, run } from './netns.ts';
import { checkPrerequisites } from './prereqs.ts';
import { networkUp } from './network-up.ts';
import { type ServerStatus, STATE_ROOT, startServers, stateDir, stopServers } from './servers.ts';

/* The router's BIRD niceness: see where it starts. */
const ROUTER_NICE = -10;

export const ROUTER_AS = 65000;
export const NODE_AS = 65001;
/* Fixed, so a 5-tuple lands on the same node in every run (the kernel picks a random seed otherwise). */
export const MULTIPATH_HASH_SEED = 12_345;
/* Source and destination address, protocol, source and destination port. */
export const MULTIPATH_HASH_FIELDS = '0x0037';

export interface BfdTimings {
  minRxMs: number;
  minTxMs: number;
  multiplier: number;
}
/* 100 ms x 3: a silent node is declared down in about 300 ms, well inside issue 12's "about a second". */
export const DEFAULT_BFD: BfdTimings = { minRxMs: 100, minTxMs: 100, multiplier: 3 };

export interface EcmpOptions {
  prefix: string;
  /** Balancer nodes n1..nN, 2 or 3. */
  nodes?: number;
  /** On-link backends be1..beM on the shared segment. */
  backends?: number;
  bfd?: BfdTimings;
  stateRoot?: string;
  log?: (message: string) => void;
  /** The backend server to run (tests of a failing up pass one that does not exist). */
  serverScript?: string;
}

export interface EcmpNode {
  name: string;
  namespace: string;
  /** Towards the router: the BGP session and the VIP traffic arrive here. */
  uplink: { interface: 'eth0'; ipv4: string; ipv6: string };
  /** The router's end of the uplink: the node's BGP neighbour. */
  router: { interface: string; ipv4: string; ipv6: string };
  /** The node's arm on the backend segment. */
  segment: { interface: 'eth1'; ipv4: string; ipv6: string };
}

export interface EcmpBackend {
  name: string;
  namespace: string;
  ipv4: string;
  ipv6: string;
  ports: Ports;
}

export interface Ecmp {
  prefix: string;
  stateDir: string;
  client: EcmpBackend & { gateway: { ipv4: string; ipv6: string } };
  router: {
    namespace: string;
    as: number;
    routerId: string;
    clientInterface: 'cli0';
    segment: { interface: 'seg'; ipv4: string; ipv6: string };
    /** The router's BIRD (set once up). */
    bird?: BirdDaemon;
  };
  nodes: EcmpNode[];
  nodeAs: number;
  backends: EcmpBackend[];
  vips: { ipv4: string[]; ipv6: string[] };
  /** What the router accepts from the nodes: host routes inside these. */
  vipRanges: { ipv4: string; ipv6: string };
  bfd: BfdTimings;
  servers: ServerStatus[];
}

const PREFIX_RE = /^[a-z][a-z0-9]{0,11}$/;
const MAX_NODES = 3;
const VIPS = {
  ipv4: ['198.18.100.1', '198.18.100.2', '198.18.100.3', '198.18.100.4'],
  ipv6: ['2001:db8:100::1', '2001:db8:100::2', '2001:db8:100::3', '2001:db8:100::4'],
};
const VIP_RANGES = { ipv4: '198.18.100.0/24', ipv6: '2001:db8:100::/64' };

export function ecmpPlan(options: EcmpOptions): Omit<Ecmp, 'servers' | 'stateDir'> {
  const { prefix } = options;
  const nodes = options.nodes ?? 2;
  const backends = options.backends ?? DEFAULT_BACKENDS;
  if (!PREFIX_RE.test(prefix)) throw new Error(`invalid prefix "${prefix}": use 1-12 lowercase letters/digits, starting with a letter`);
  if (!Number.isInteger(nodes) || nodes < 2 || nodes > MAX_NODES) throw new Error(`invalid node count ${nodes}: use 2 or 3`);
  if (!Number.isInteger(backends) || backends < 1 || backends > MAX_BACKENDS)
    throw new Error(`invalid backend count ${backends}: use an integer 1..${MAX_BACKENDS}`);
  return {
    prefix,
    client: {
      name: 'client',
      namespace: `${prefix}-client`,
      ipv4: '198.18.0.2',
      ipv6: '2001:db8::2',
      ports: { ...PORTS },
      gateway: { ipv4: '198.18.0.1', ipv6: '2001:db8::1' },
    },
    router: {
      namespace: `${prefix}-rt`,
      as: ROUTER_AS,
      routerId: '198.18.0.1',
      clientInterface: 'cli0',
      segment: { interface: 'seg', ipv4: '198.19.0.1', ipv6: '2001:db8:1::1' },
    },
    nodes: Array.from({ length: nodes }, (_, k) => ({
      name: `n${k + 1}`,
      namespace: `${prefix}-n${k + 1}`,
      uplink: { interface: 'eth0' as const, ipv4: `198.18.${11 + k}.2`, ipv6: `2001:db8:a${k + 1}::2` },
      router: { interface: `up${k + 1}`, ipv4: `198.18.${11 + k}.1`, ipv6: `2001:db8:a${k + 1}::1` },
      segment: { interface: 'eth1' as const, ipv4: `198.19.0.${2 + k}`, ipv6: `2001:db8:1::${2 + k}` },
    })),
    nodeAs: NODE_AS,
    backends: Array.from({ length: backends }, (_, k) => ({
      name: `be${k + 1}`,
      namespace: `${prefix}-be${k + 1}`,
      ipv4: `198.19.0.${11 + k}`,
      ipv6: `2001:db8:1::${(0x11 + k).toString(16)}`,
      ports: { ...PORTS },
    })),
    vips: VIPS,
    vipRanges: VIP_RANGES,
    bfd: options.bfd ?? DEFAULT_BFD,
  };
}

/**
 * The router's BIRD: BGP (with BFD) to every node over IPv4 and IPv6, taking
 * only VIP host routes, and a kernel protocol that merges equal routes from
 * several nodes into one multipath route.
 */
export function routerBirdConfig(plan: Omit<Ecmp, 'servers' | 'stateDir'>): string {
  const { router, bfd } = plan;
  const [v4net, v4len] = plan.vipRanges.ipv4.split('/');
  const [v6net, v6len] = plan.vipRanges.ipv6.split('/');
  const lines = [
    'log stderr all;',
    `router id ${router.routerId};`,
    'protocol device { scan time 10; }',
    'protocol kernel kernel4 { ipv4 { import none; export all; }; merge paths on; }',
    'protocol kernel kernel6 { ipv6 { import none; export all; }; merge paths on; }',
    `protocol bfd { interface "up*" { min rx interval ${bfd.minRxMs} ms; min tx interval ${bfd.minTxMs} ms; multiplier ${bfd.multiplier}; }; }`,
    `filter vips4 { if net ~ [ ${v4net}/${v4len}{32,32} ] then accept; reject; }`,
    `filter vips6 { if net ~ [ ${v6net}/${v6len}{128,128} ] then accept; reject; }`,
    /* Short timers so a node that comes back is peered again within seconds (defaults wait 5 s to 300 s). */
    `template bgp node { local as ${router.as}; hold time 3; keepalive time 1; connect delay time 1; connect retry time 2; error wait time 1, 5; bfd on; }`,
  ];
  for (const node of plan.nodes) {
    lines.push(`protocol bgp ${node.name}v4 from node { neighbor ${node.uplink.ipv4} as ${plan.nodeAs}; ipv4 { import filter vips4; export none; }; }`);
    lines.push(`protocol bgp ${node.name}v6 from node { neighbor ${node.uplink.ipv6} as ${plan.nodeAs}; ipv6 { import filter vips6; export none; }; }`);
  }
  return `${lines.join('\n')}\n`;
}

const ownsNamespace = (prefix: string, name: string) => new RegExp(`^${prefix}-(client|rt|n\\d+|be\\d+)$`).test(name);

/** Builds the network, starts the router's BIRD and a backend server on every backend. Tears down a stale one first. */
export async function ecmpUp(options: EcmpOptions): Promise<Ecmp> {
  checkPrerequisites({ bgp: true });
  const plan = ecmpPlan(options);
  const log = options.log ?? (() => {});
  const dir = stateDir(plan.prefix, options.stateRoot ?? STATE_ROOT);
  return networkUp(
    'ecmp',
    dir,
    () => ecmpDown(options),
    async () => {
      await build(plan, log);
      log('starting the router BIRD');
      /*
       * A router is a machine of its own: here it shares two cores with every
       * node and the test's load, so it runs at niceness -10, or a busy
       * moment stretches its BFD clock (the dead-node bound measured 1.4 s at
       * load average 8, 0.1-0.2 s quiet).
       */
      const bird = await startBird({ stateDir: dir, name: 'router', namespace: plan.router.namespace, config: routerBirdConfig(plan), nice: ROUTER_NICE });
      const servers = await startServers(dir, plan.backends, options.serverScript ? { script: options.serverScript } : {});
      return { ...plan, router: { ...plan.router, bird }, stateDir: dir, servers };
    },
  );
}

async function build(plan: ReturnType<typeof ecmpPlan>, log: (m: string) => void): Promise<void> {
  const { client, router, nodes, backends } = plan;
  const rt = router.namespace;
  for (const ns of [client.namespace, rt, ...nodes.map((n) => n.namespace), ...backends.map((b) => b.namespace)]) {
    log(`creating namespace ${ns}`);
    await createNamespace(ns);
  }
  await sysctl(
    rt,
    'net.ipv4.ip_forward=1',
    'net.ipv6.conf.all.forwarding=1',
    'net.ipv4.fib_multipath_hash_policy=3',
    `net.ipv4.fib_multipath_hash_fields=${MULTIPATH_HASH_FIELDS}`,
    `net.ipv4.fib_multipath_hash_seed=${MULTIPATH_HASH_SEED}`,
    'net.ipv6.fib_multipath_hash_policy=3',
    `net.ipv6.fib_multipath_hash_fields=${MULTIPATH_HASH_FIELDS}`,
  );
  await sysctl(client.namespace, 'net.ipv4.ip_local_port_range=1024 65000', 'net.ipv4.tcp_tw_reuse=1');

  await link(rt, router.clientInterface, client.namespace, 'eth0');
  await address(rt, router.clientInterface, client.gateway.ipv4, 24, client.gateway.ipv6, 64);
  await address(client.namespace, 'eth0', client.ipv4, 24, client.ipv6, 64);
  await defaultRoutes(client.namespace, client.gateway.ipv4, client.gateway.ipv6);

  await bridge(rt, router.segment.interface, router.segment.ipv4, 24, router.segment.ipv6, 64);
  for (const node of nodes) {
    await sysctl(node.namespace, 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1');
    await link(rt, node.router.interface, node.namespace, node.uplink.interface);
    await address(rt, node.router.interface, node.router.ipv4, 24, node.router.ipv6, 64);
    await address(node.namespace, node.uplink.interface, node.uplink.ipv4, 24, node.uplink.ipv6, 64);
    await defaultRoutes(node.namespace, node.router.ipv4, node.router.ipv6);
    await bridgePort(rt, router.segment.interface, `s${node.name}`, node.namespace, node.segment.interface);
    await address(node.namespace, node.segment.interface, node.segment.ipv4, 24, node.segment.ipv6, 64);
  }
  /*
   * A VIP packet a node's kernel gets (no XDP program yet, or one it passes)
   * goes back to the router by the node's default route, and the router
   * would send it to a node again until its TTL ran out: the router drops a
   * VIP packet that comes from a node. (The nodes keep their route to the
   * VIPs: the agent's data-path health probes leave through it.)
   */
  const vipLoop = `table inet ecmp {
  chain forward {
    type filter hook forward priority 0;
    iifname "up*" ip daddr ${plan.vipRanges.ipv4} drop;
    iifname "up*" ip6 daddr ${plan.vipRanges.ipv6} drop;
  }
}
`;
  await execInChecked(rt, 'nft', ['-f', '-'], { input: vipLoop });
  for (const b of backends) {
    await bridgePort(rt, router.segment.interface, `s${b.name}`, b.namespace, 'eth0');
    await address(b.namespace, 'eth0', b.ipv4, 24, b.ipv6, 64);
    await defaultRoutes(b.namespace, router.segment.ipv4, router.segment.ipv6);
    /* dsr: the VIPs on lo, never answered for on the segment (only the nodes' MAC rewrite brings them here). */
    await sysctl(b.namespace, 'net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2');
    for (const vip of plan.vips.ipv4) await ip(b.namespace, 'addr', 'add', `${vip}/32`, 'dev', 'lo');
    for (const vip of plan.vips.ipv6) await ip(b.namespace, '-6', 'addr', 'add', `${vip}/128`, 'dev', 'lo');
  }
}

/** Stops the daemons, the servers and every process left in the namespaces, then deletes them. Idempotent. */
export async function ecmpDown(options: Pick<EcmpOptions, 'prefix' | 'stateRoot'>): Promise<string[]> {
  if (!PREFIX_RE.test(options.prefix)) throw new Error(`invalid prefix "${options.prefix}"`);
  const dir = stateDir(options.prefix, options.stateRoot ?? STATE_ROOT);
  return networkDown(
    'ecmp',
    dir,
    (ns) => ownsNamespace(options.prefix, ns),
    async () => {
      await stopBirds(dir);
      await stopServers(dir);
    },
  );
}

/**
 * The next hop the router's FIB picks now for one IPv4 client 5-tuple (client
 * address, sport -> vip, dport) arriving on its client interface: with policy 3
 * and a fixed seed, where that connection goes. Undefined when it has no route.
 */
export async function routerGateway(
  ecmp: Pick<Ecmp, 'router' | 'client'>,
  vip: string,
  flow: { protocol: 'tcp' | 'udp'; sourcePort: number; port: number },
): Promise<string | undefined> {
  const args = ['-n', ecmp.router.namespace, '-4', '-j', 'route', 'get', vip, 'from', ecmp.client.ipv4, 'iif', ecmp.router.clientInterface];
  const r = await run('ip', [...args, 'ipproto', flow.protocol, 'sport', String(flow.sourcePort), 'dport', String(flow.port)]);
  if (r.code !== 0) throw new Error(`ip route get ${vip} in ${ecmp.router.namespace}: ${r.stderr}`);
  const [route] = JSON.parse(r.stdout || '[]') as { gateway?: string }[];
  return route?.gateway;
}

/** The router's next hops for `vip` now (one per node that announces it), from the kernel's table. */
export async function routerNextHops(ecmp: Pick<Ecmp, 'router'>, vip: string): Promise<string[]> {
  const family = vip.includes(':') ? '-6' : '-4';
  const r = await run('ip', ['-n', ecmp.router.namespace, family, '-j', 'route', 'show', vip]);
  if (r.code !== 0) throw new Error(`ip route show ${vip} in ${ecmp.router.namespace}: ${r.stderr}`);
  const routes = JSON.parse(r.stdout || '[]') as { dst: string; gateway?: string; nexthops?: { gateway: string }[] }[];
  const route = routes.find((x) => x.dst === vip || x.dst === `${vip}/${family === '-6' ? 128 : 32}`);
  if (!route) return [];
  return (route.nexthops?.map((h) => h.gateway) ?? (route.gateway ? [route.gateway] : [])).sort();
}
