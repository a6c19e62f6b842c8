// The forwarding-modes network: replies must be able to bypass the balancer,
// so a router stands between the client and everything else, and the
// balancer and the backends share one L2 segment (a bridge in the router's
// namespace) whose gateway is the router, not the balancer.
//
//   <p>-client eth0 ── cli0 <p>-rt up0 ── eth0 <p>-lb          (the balancer's uplink)
//                            bridge fab ── eth1 <p>-lb        (its arm on the segment)
//                                 fab ── eth0 <p>-be1 ...    (on-link backends: dsr, ipip, gue)
//                            far0 ── eth0 <p>-far             (a routed backend: ipip, gue; dsr refused)
//
// The router sends the VIPs to the balancer's uplink; every backend's default
// route is the router, so in the bypass modes a reply goes backend -> router
// -> client and never through the balancer. Nothing links to the root
// namespace, and nothing routes out.
import { DEFAULT_BACKENDS, MAX_BACKENDS, PORTS, type Ports } from './addresses.ts';
import { address, bridge, bridgePort, createNamespace, defaultRoutes, ip, link, networkDown, sysctl } from './links.ts';
import { networkUp } from './network-up.ts';
import { type ServerStatus, STATE_ROOT, startServers, stateDir, stopServers } from './servers.ts';

export interface FabricOptions {
  prefix: string;
  /** On-link backends on the segment (be1..beN). */
  backends?: number;
  /** Also a backend one router hop away (far). */
  routedBackend?: boolean;
  /** Pid files and logs: <stateRoot>/<prefix>. */
  stateRoot?: string;
  log?: (message: string) => void;
}

export interface FabricHost {
  name: string;
  namespace: string;
  ipv4: string;
  ipv6: string;
  ports: Ports;
}

export interface Fabric {
  prefix: string;
  stateDir: string;
  client: FabricHost & { gateway: { ipv4: string; ipv6: string } };
  router: { namespace: string; clientInterface: 'cli0'; uplinkInterface: 'up0'; segment: { ipv4: string; ipv6: string } };
  lb: { namespace: string; uplink: { interface: 'eth0'; ipv4: string; ipv6: string }; segment: { interface: 'eth1'; ipv4: string; ipv6: string } };
  /** On-link backends first, then the routed one (name "far") if asked for. */
  backends: (FabricHost & { onLink: boolean })[];
  vips: { ipv4: string[]; ipv6: string[] };
  servers: ServerStatus[];
}

const PREFIX_RE = /^[a-z][a-z0-9]{0,11}$/;
const VIPS = {
  ipv4: ['198.18.100.1', '198.18.100.2', '198.18.100.3', '198.18.100.4'],
  ipv6: ['2001:db8:100::1', '2001:db8:100::2', '2001:db8:100::3', '2001:db8:100::4'],
};
const VIP_ROUTES = { ipv4: '198.18.100.0/24', ipv6: '2001:db8:100::/64' };

export function fabricPlan(options: FabricOptions): Omit<Fabric, 'servers' | 'stateDir'> {
  const { prefix } = options;
  const count = options.backends ?? DEFAULT_BACKENDS;
  if (!PREFIX_RE.test(prefix)) throw new Error(`invalid prefix "${prefix}": use 1-12 lowercase letters/digits, starting with a letter`);
  if (!Number.isInteger(count) || count < 1 || count > MAX_BACKENDS) throw new Error(`invalid backend count ${count}: use an integer 1..${MAX_BACKENDS}`);
  const onLink = Array.from({ length: count }, (_, k) => ({
    name: `be${k + 1}`,
    namespace: `${prefix}-be${k + 1}`,
    ipv4: `198.19.0.${11 + k}`,
    ipv6: `2001:db8:1::${(0x11 + k).toString(16)}`,
    ports: { ...PORTS },
    onLink: true,
  }));
  const far = { name: 'far', namespace: `${prefix}-far`, ipv4: '198.19.9.2', ipv6: '2001:db8:9::2', ports: { ...PORTS }, onLink: false };
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
    router: { namespace: `${prefix}-rt`, clientInterface: 'cli0', uplinkInterface: 'up0', segment: { ipv4: '198.19.0.1', ipv6: '2001:db8:1::1' } },
    lb: {
      namespace: `${prefix}-lb`,
      uplink: { interface: 'eth0', ipv4: '198.18.1.2', ipv6: '2001:db8:2::2' },
      segment: { interface: 'eth1', ipv4: '198.19.0.2', ipv6: '2001:db8:1::2' },
    },
    backends: options.routedBackend ? [...onLink, far] : onLink,
    vips: VIPS,
  };
}

const ownsNamespace = (prefix: string, name: string) => new RegExp(`^${prefix}-(client|rt|lb|be\\d+|far)$`).test(name);
/** Builds the network and starts a backend server on every backend. Tears down a stale one of the same prefix first. */
export async function fabricUp(options: FabricOptions): Promise<Fabric> {
  const plan = fabricPlan(options);
  const log = options.log ?? (() => {});
  const dir = stateDir(plan.prefix, options.stateRoot ?? STATE_ROOT);
  return networkUp(
    'fabric',
    dir,
    () => fabricDown(options),
    async () => {
      await build(plan, log);
      return { ...plan, stateDir: dir, servers: await startServers(dir, plan.backends) };
    },
  );
}

async function build(plan: ReturnType<typeof fabricPlan>, log: (m: string) => void): Promise<void> {
  const { client, router, lb, backends } = plan;
  const rt = router.namespace;
  for (const ns of [client.namespace, rt, lb.namespace, ...backends.map((b) => b.namespace)]) {
    log(`creating namespace ${ns}`);
    await createNamespace(ns);
  }
  for (const ns of [rt, lb.namespace]) await sysctl(ns, 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1');
  await sysctl(client.namespace, 'net.ipv4.ip_local_port_range=1024 65000', 'net.ipv4.tcp_tw_reuse=1');

  // Client <-> router.
  await link(rt, router.clientInterface, client.namespace, 'eth0');
  await address(rt, router.clientInterface, client.gateway.ipv4, 24, client.gateway.ipv6, 64);
  await address(client.namespace, 'eth0', client.ipv4, 24, client.ipv6, 64);
  await defaultRoutes(client.namespace, client.gateway.ipv4, client.gateway.ipv6);

  // Router <-> the balancer's uplink; the router sends the VIPs there.
  await link(rt, router.uplinkInterface, lb.namespace, lb.uplink.interface);
  await address(rt, router.uplinkInterface, '198.18.1.1', 24, '2001:db8:2::1', 64);
  await address(lb.namespace, lb.uplink.interface, lb.uplink.ipv4, 24, lb.uplink.ipv6, 64);
  await ip(rt, 'route', 'add', VIP_ROUTES.ipv4, 'via', lb.uplink.ipv4);
  await ip(rt, '-6', 'route', 'add', VIP_ROUTES.ipv6, 'via', lb.uplink.ipv6);
  await defaultRoutes(lb.namespace, '198.18.1.1', '2001:db8:2::1');

  // The segment: a bridge in the router's namespace, its gateway the router.
  await bridge(rt, 'fab', router.segment.ipv4, 24, router.segment.ipv6, 64);
  const port = (name: string, peerNs: string, peerName: string) => bridgePort(rt, 'fab', name, peerNs, peerName);
  await port('lbp', lb.namespace, lb.segment.interface);
  await address(lb.namespace, lb.segment.interface, lb.segment.ipv4, 24, lb.segment.ipv6, 64);
  // The routed backend's subnet, for the balancer: through the router on the segment.
  await ip(lb.namespace, 'route', 'add', '198.19.9.0/24', 'via', router.segment.ipv4);
  await ip(lb.namespace, '-6', 'route', 'add', '2001:db8:9::/64', 'via', router.segment.ipv6);

  for (const [k, b] of backends.entries()) {
    if (b.onLink) {
      await port(`bp${k + 1}`, b.namespace, 'eth0');
      await address(b.namespace, 'eth0', b.ipv4, 24, b.ipv6, 64);
      await defaultRoutes(b.namespace, router.segment.ipv4, router.segment.ipv6);
    } else {
      await link(rt, 'far0', b.namespace, 'eth0');
      await address(rt, 'far0', '198.19.9.1', 24, '2001:db8:9::1', 64);
      await address(b.namespace, 'eth0', b.ipv4, 24, b.ipv6, 64);
      await defaultRoutes(b.namespace, '198.19.9.1', '2001:db8:9::1');
    }
  }
}

/** Stops the servers and every process left in the namespaces, then deletes them. Idempotent. */
export async function fabricDown(options: Pick<FabricOptions, 'prefix' | 'stateRoot'>): Promise<string[]> {
  if (!PREFIX_RE.test(options.prefix)) throw new Error(`invalid prefix "${options.prefix}"`);
  const dir = stateDir(options.prefix, options.stateRoot ?? STATE_ROOT);
  return networkDown(
    'fabric',
    dir,
    (ns) => ownsNamespace(options.prefix, ns),
    () => stopServers(dir),
  );
}
