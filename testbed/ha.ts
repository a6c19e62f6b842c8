// The active/standby network (issue 13): two balancer nodes on one segment
// whose VIPs float between them with keepalived (VRRP). A switch namespace
// holds two bridges; nothing routes between them but the master node.
//
//   <p>-client eth0 ──┐                        ┌── eth0 <p>-be1
//        <p>-n1 eth0 ─┤ front  (<p>-sw)  back ├── eth1 <p>-n1, eth1 <p>-n2
//        <p>-n2 eth0 ─┘                        └── eth0 <p>-be2, <p>-be3 ...
//
// The client reaches the VIPs on-link (its route to the VIP range is the
// front segment), so it ARPs for a VIP and only the node holding it answers:
// keepalived adds the VIPs to the master's eth0, and the backends' gateway
// (GATEWAY, NAT mode: replies go back through the balancer) to its eth1. The
// backup holds neither, so the client's and the backends' packets reach only
// the master's XDP program. A takeover moves both; keepalived's gratuitous
// ARP points the client and the backends at the new master (accept_local: see build). The nodes' own
// addresses (eth0 198.18.0.11+, eth1 198.19.0.11+ ... see plan) stay put. IPv4
// only: a VRRPv3 instance carries one family. Nothing links to the root
// namespace and nothing routes out. Agents and keepalived are started by the
// pair in ha-pair.ts (the tests and `demo.sh --ha`), not here.
import { DEFAULT_BACKENDS, MAX_BACKENDS, PORTS, type Ports } from './addresses.ts';
import { stopKeepaliveds } from './keepalived.ts';
import { address, bridgePort, createNamespace, ip, networkDown, sysctl } from './links.ts';
import { checkPrerequisites, findOnPath } from './prereqs.ts';
import { networkUp } from './network-up.ts';
import { type ServerStatus, STATE_ROOT, startServers, stateDir, stopServers } from './servers.ts';

export interface HaOptions {
  prefix: string;
  /** Backends be1..beN on the back segment. */
  backends?: number;
  stateRoot?: string;
  log?: (message: string) => void;
}

export interface HaHost {
  name: string;
  namespace: string;
  ipv4: string;
  ipv6: string;
  ports: Ports;
}

export interface HaNode {
  name: string;
  namespace: string;
  /** The client side: VRRP adverts and the service VIPs. */
  front: { interface: 'eth0'; ipv4: string; ipv6: string };
  /** The backend side: the backends' gateway floats here. */
  back: { interface: 'eth1'; ipv4: string; ipv6: string };
}

export interface Ha {
  prefix: string;
  stateDir: string;
  switchNamespace: string;
  client: HaHost;
  nodes: HaNode[];
  backends: HaHost[];
  /** Service VIPs (IPv4, /32 on the master's eth0). */
  vips: string[];
  /** The VIPs of direct-server-return services (also in vips): on every backend's lo, never answered for by ARP there. */
  dsrVips: string[];
  vipRange: string;
  /** The backends' default gateway: a floating address on the master's eth1. */
  gateway: { ipv4: string; prefixLength: number };
  servers: ServerStatus[];
}

const PREFIX_RE = /^[a-z][a-z0-9]{0,11}$/;
const NODES = 2;
/* One per algorithm in nat (rr, wrr, lc, source hash, maglev), then one dsr. */
const VIPS = ['198.18.100.1', '198.18.100.2', '198.18.100.3', '198.18.100.4', '198.18.100.5', '198.18.100.6'];
const DSR_VIPS = ['198.18.100.6'];
const VIP_RANGE = '198.18.100.0/24';
const GATEWAY = { ipv4: '198.19.0.1', prefixLength: 24 };

export function haPlan(options: HaOptions): Omit<Ha, 'servers' | 'stateDir'> {
  const { prefix } = options;
  const backends = options.backends ?? DEFAULT_BACKENDS;
  if (!PREFIX_RE.test(prefix)) throw new Error(`invalid prefix "${prefix}": use 1-12 lowercase letters/digits, starting with a letter`);
  if (!Number.isInteger(backends) || backends < 1 || backends > MAX_BACKENDS)
    throw new Error(`invalid backend count ${backends}: use an integer 1..${MAX_BACKENDS}`);
  return {
    prefix,
    switchNamespace: `${prefix}-sw`,
    client: { name: 'client', namespace: `${prefix}-client`, ipv4: '198.18.0.2', ipv6: '2001:db8::2', ports: { ...PORTS } },
    nodes: Array.from({ length: NODES }, (_, k) => ({
      name: `n${k + 1}`,
      namespace: `${prefix}-n${k + 1}`,
      front: { interface: 'eth0' as const, ipv4: `198.18.0.${11 + k}`, ipv6: `2001:db8::${(0x11 + k).toString(16)}` },
      back: { interface: 'eth1' as const, ipv4: `198.19.0.${2 + k}`, ipv6: `2001:db8:1::${2 + k}` },
    })),
    backends: Array.from({ length: backends }, (_, k) => ({
      name: `be${k + 1}`,
      namespace: `${prefix}-be${k + 1}`,
      ipv4: `198.19.0.${11 + k}`,
      ipv6: `2001:db8:1::${(0x11 + k).toString(16)}`,
      ports: { ...PORTS },
    })),
    vips: VIPS,
    dsrVips: DSR_VIPS,
    vipRange: VIP_RANGE,
    gateway: GATEWAY,
  };
}

const ownsNamespace = (prefix: string, name: string) => new RegExp(`^${prefix}-(client|sw|n\\d+|be\\d+)$`).test(name);

/** Builds the network and starts a backend server on every backend. Tears down a stale one of the same prefix first. */
export async function haUp(options: HaOptions): Promise<Ha> {
  checkPrerequisites();
  if (!findOnPath('keepalived'))
    throw new Error('missing prerequisite: "keepalived" not found on PATH; it floats the VIPs between the nodes (Debian package keepalived)');
  const plan = haPlan(options);
  const log = options.log ?? (() => {});
  const dir = stateDir(plan.prefix, options.stateRoot ?? STATE_ROOT);
  return networkUp(
    'ha',
    dir,
    () => haDown(options),
    async () => {
      await build(plan, log);
      return { ...plan, stateDir: dir, servers: await startServers(dir, plan.backends) };
    },
  );
}

async function build(plan: ReturnType<typeof haPlan>, log: (m: string) => void): Promise<void> {
  const { client, nodes, backends } = plan;
  const sw = plan.switchNamespace;
  for (const ns of [sw, client.namespace, ...nodes.map((n) => n.namespace), ...backends.map((b) => b.namespace)]) {
    log(`creating namespace ${ns}`);
    await createNamespace(ns);
  }
  /* Two bridges and no address: the switch forwards frames, it routes nothing. */
  for (const name of ['front', 'back']) {
    await ip(sw, 'link', 'add', name, 'type', 'bridge');
    await ip(sw, 'link', 'set', name, 'up');
  }
  await sysctl(client.namespace, 'net.ipv4.ip_local_port_range=1024 65000', 'net.ipv4.tcp_tw_reuse=1');
  await bridgePort(sw, 'front', 'fcl', client.namespace, 'eth0');
  await address(client.namespace, 'eth0', client.ipv4, 24, client.ipv6, 64);
  /* The VIPs on-link: the client ARPs for each, and only the node holding it answers. */
  await ip(client.namespace, 'route', 'add', plan.vipRange, 'dev', 'eth0');

  for (const node of nodes) {
    await sysctl(node.namespace, 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1');
    await bridgePort(sw, 'front', `f${node.name}`, node.namespace, node.front.interface);
    await address(node.namespace, node.front.interface, node.front.ipv4, 24, node.front.ipv6, 64);
    await bridgePort(sw, 'back', `b${node.name}`, node.namespace, node.back.interface);
    await address(node.namespace, node.back.interface, node.back.ipv4, 24, node.back.ipv6, 64);
    /*
     * A NAT reply the program hands to the kernel (XDP_PASS: the client's MAC
     * is not resolved yet, as on a backup that just took over) has the VIP as
     * its source, an address the master holds: the kernel drops it as a
     * martian unless accept_local is set on the backend-side interface.
     */
    await sysctl(node.namespace, `net.ipv4.conf.${node.back.interface}.accept_local=1`);
  }
  for (const b of backends) {
    await bridgePort(sw, 'back', `b${b.name}`, b.namespace, 'eth0');
    await address(b.namespace, 'eth0', b.ipv4, 24, b.ipv6, 64);
    /* NAT: replies go back through whichever node holds the gateway now. */
    await ip(b.namespace, 'route', 'add', 'default', 'via', plan.gateway.ipv4);
    /* dsr: the VIP on lo, never answered for on the segment; replies leave from it through the gateway (the master forwards them). */
    await sysctl(b.namespace, 'net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2');
    for (const vip of plan.dsrVips) await ip(b.namespace, 'addr', 'add', `${vip}/32`, 'dev', 'lo');
  }
}

/** Stops keepalived, the servers and every process left in the namespaces, then deletes them. Idempotent. */
export async function haDown(options: Pick<HaOptions, 'prefix' | 'stateRoot'>): Promise<string[]> {
  if (!PREFIX_RE.test(options.prefix)) throw new Error(`invalid prefix "${options.prefix}"`);
  const dir = stateDir(options.prefix, options.stateRoot ?? STATE_ROOT);
  return networkDown(
    'ha',
    dir,
    (ns) => ownsNamespace(options.prefix, ns),
    async () => {
      await stopKeepaliveds(dir);
      await stopServers(dir);
    },
  );
}

/**
 * The IPv4 addresses on each interface of a namespace that is up, by
 * interface (the VIPs show up on the master's). An interface that is down
 * answers no ARP: a dead node's leftover VIPs are not counted. One `ip` run.
 */
export async function addressesOn(namespace: string): Promise<Map<string, string[]>> {
  const r = await ip(namespace, '-4', '-j', 'addr', 'show', 'up');
  const links = JSON.parse(r.stdout || '[]') as { ifname: string; addr_info?: { local: string }[] }[];
  return new Map(links.map((l) => [l.ifname, (l.addr_info ?? []).map((a) => a.local)]));
}
