/*
 * The MSS a backend advertises to clients, so that their segments still fit
 * the fabric's MTU once a balancer has wrapped them in IPIP or GUE. Without it
 * a full-size segment is too big inside the tunnel, and where ICMP is filtered
 * the connection hangs (the path-MTU black hole). The fix is `advmss` on the
 * default routes: the host's SYN-ACK then announces an MSS that fits.
 * attach sets it (and remembers what was there), detach puts that back; check
 * only reports.
 */
import { execFileSync } from 'node:child_process';
import { isIP } from 'node:net';

/* Outer headers a balancer adds, by outer family: IP (IPIP), plus UDP (GUE). */
const IP_HEADER = { 4: 20, 6: 40 } as const;
const UDP_HEADER = 8;
/* IP + TCP headers of a client segment, by family: MSS = MTU - these. */
const IP_TCP_HEADERS = { 4: 40, 6: 60 } as const;

export type Family = 4 | 6;

export interface TunnelEndpoint {
  interface: string;
  addresses: string[];
  /** GUE destination port; undefined: GUE off. */
  guePort?: number;
}

/** A default route as `ip -j route` prints it. */
export interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  metric?: number;
  protocol?: string;
  prefsrc?: string;
  flags?: string[];
  metrics?: Record<string, number>[];
}

/** One default route whose advmss attach changed: enough to find it again and put `before` back. */
export interface MssChange {
  family: Family;
  gateway?: string;
  dev?: string;
  metric?: number;
  /** What the route had before the first attach (undefined: no advmss). */
  before?: number;
  /** What attach set. */
  after: number;
}

export const familyOf = (address: string): Family => (isIP(address) === 6 ? 6 : 4);

export function ipJson<T>(args: string[]): T {
  return JSON.parse(execFileSync('ip', ['-j', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) || '[]') as T;
}

/*
 * The largest MSS a client segment may carry so that, tunnelled, it still
 * fits `mtu`. IPIP keeps the client's family outside; GUE may carry it over
 * either family of the host's tunnel addresses, so the larger overhead counts.
 */
export function maxMss(clientFamily: Family, mtu: number, endpoint: TunnelEndpoint): number {
  const outerFamilies = endpoint.guePort ? [...new Set(endpoint.addresses.map(familyOf))] : [clientFamily];
  const overhead = Math.max(...outerFamilies.map((family) => IP_HEADER[family] + (endpoint.guePort ? UDP_HEADER : 0)));
  return mtu - overhead - IP_TCP_HEADERS[clientFamily];
}

/** The client families whose segments arrive tunnelled: GUE carries both; IPIP keeps the outer family. */
export function clientFamilies(endpoint: TunnelEndpoint): Family[] {
  return endpoint.guePort ? [4, 6] : [...new Set(endpoint.addresses.map(familyOf))];
}

export const interfaceMtu = (ifname: string) => ipJson<{ mtu: number }[]>(['link', 'show', 'dev', ifname])[0]?.mtu ?? 1500;

export const advmssOf = (route: IpRoute) => route.metrics?.find((m) => m.advmss !== undefined)?.advmss;

export const defaultRoutes = (family: Family) => ipJson<IpRoute[]>([`-${family}`, 'route', 'show', 'default']);

/*
 * `ip route change` arguments that keep what identifies the route and what
 * else it carries (protocol, preferred source, onlink, its other metrics such
 * as mtu) and set advmss to `advmss`, or drop it when undefined.
 */
export function routeChangeArgs(family: Family, route: IpRoute, advmss: number | undefined): string[] {
  const args = [`-${family}`, 'route', 'change', 'default'];
  if (route.gateway) args.push('via', route.gateway);
  if (route.dev) args.push('dev', route.dev);
  if (route.protocol && route.protocol !== 'boot') args.push('proto', route.protocol);
  if (route.prefsrc) args.push('src', route.prefsrc);
  if (route.flags?.includes('onlink')) args.push('onlink');
  if (route.metric !== undefined) args.push('metric', String(route.metric));
  for (const metric of route.metrics ?? []) {
    for (const [name, value] of Object.entries(metric)) if (name !== 'advmss') args.push(name, String(value));
  }
  if (advmss !== undefined) args.push('advmss', String(advmss));
  return args;
}

const sameRoute = (change: MssChange, route: IpRoute) => change.gateway === route.gateway && change.dev === route.dev && change.metric === route.metric;

export interface MssFit {
  /** Every route whose advmss Sluice owns now (what detach restores), including an earlier attach's. */
  changes: MssChange[];
  /** The routes changed by this call. */
  set: MssChange[];
  /** Routes `ip route change` refused, with its message: left as they were. */
  failures: string[];
}

/*
 * Sets advmss on every default route of a tunnelled client family whose MSS
 * does not fit. `earlier` are the changes a previous attach made: a route
 * found there keeps its original `before`, so detach restores what the
 * operator had, not what Sluice set the first time. A route the kernel
 * refuses to change is reported, not fatal: the others are still recorded.
 */
export function fitMss(endpoint: TunnelEndpoint, earlier: MssChange[] = []): MssFit {
  const mtu = interfaceMtu(endpoint.interface);
  const fit: MssFit = { changes: [], set: [], failures: [] };
  for (const family of clientFamilies(endpoint)) {
    const limit = maxMss(family, mtu, endpoint);
    for (const route of defaultRoutes(family)) {
      const current = advmssOf(route);
      const known = earlier.find((change) => change.family === family && sameRoute(change, route));
      if (current !== undefined && current <= limit) {
        if (known) fit.changes.push({ ...known, after: current });
        continue;
      }
      const args = routeChangeArgs(family, route, limit);
      try {
        execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
      } catch (error) {
        const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim();
        fit.failures.push(`ip ${args.join(' ')}: ${stderr || (error as Error).message}`);
        continue;
      }
      const change = { family, gateway: route.gateway, dev: route.dev, metric: route.metric, before: known ? known.before : current, after: limit };
      fit.changes.push(change);
      fit.set.push({ ...change, before: current });
    }
  }
  return fit;
}

export interface MssRestore {
  change: MssChange;
  /** False when the route is gone or someone changed its advmss since: left as it is. */
  restored: boolean;
}

/** Puts back what attach found on each route it changed, unless the route changed since. */
export function restoreMss(changes: MssChange[]): MssRestore[] {
  return changes.map((change) => {
    const route = defaultRoutes(change.family).find((r) => sameRoute(change, r));
    if (!route || advmssOf(route) !== change.after) return { change, restored: false };
    execFileSync('ip', routeChangeArgs(change.family, route, change.before), { stdio: ['ignore', 'ignore', 'pipe'] });
    return { change, restored: true };
  });
}

export function describeRoute(change: Pick<MssChange, 'family' | 'gateway' | 'dev'>): string {
  return `IPv${change.family} default route${change.gateway ? ` via ${change.gateway}` : ''}${change.dev ? ` dev ${change.dev}` : ''}`;
}
