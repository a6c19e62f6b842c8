/*
 * Which VIPs this node announces. A route draws traffic from the router, so
 * it goes out only when this node can serve it, and is withdrawn otherwise:
 *   - the XDP program is attached on every balancer interface,
 *   - the last reconcile succeeded (the maps hold the store's services),
 *   - the agent is ready (its API serves; set once at the end of start-up),
 *   - the node is not draining (`sluice node drain`),
 *   - and, per VIP, one of its services has an eligible backend: health up,
 *     admin state ready (not drain, not maint), weight above 0.
 * A VIP carries several services (ports, protocols): it is announced if any
 * of them can serve, since a /32 cannot be announced per port.
 */
import { addressFamily } from '@sluice/api';
import type { VipRoutes } from './bird-config.js';

export interface NodeFacts {
  attached: boolean;
  reconciled: boolean;
  ready: boolean;
  draining: boolean;
}

export interface ServiceFacts {
  address: string;
  backends: { eligible: boolean }[];
}

export interface Announcement {
  routes: VipRoutes;
  /** Why nothing is announced, when the node as a whole is held back; null when each VIP was judged on its own. */
  withheld: string | null;
}

/**
 * Why this node cannot serve a packet sent to it now, or null: the node half
 * of the rule, without draining (a drained node still serves what reaches
 * it). keepalived's vrrp_script asks exactly this (`sluice node check`).
 */
export function nodeCannotServe(node: Omit<NodeFacts, 'draining'>): string | null {
  if (!node.attached) return 'the XDP program is not attached on every balancer interface';
  if (!node.reconciled) return 'the last reconcile failed: the maps may not hold the services';
  if (!node.ready) return 'the agent is not ready yet';
  return null;
}

export function nodeWithheld(node: NodeFacts): string | null {
  const cannot = nodeCannotServe(node);
  if (cannot) return cannot;
  if (node.draining) return 'the node is draining';
  return null;
}

export function vipsToAnnounce(node: NodeFacts, services: readonly ServiceFacts[]): Announcement {
  const withheld = nodeWithheld(node);
  const routes: VipRoutes = { ipv4: [], ipv6: [] };
  if (withheld) return { routes, withheld };
  const vips = new Set(services.filter((s) => s.backends.some((b) => b.eligible)).map((s) => s.address));
  for (const vip of [...vips].sort()) (addressFamily(vip) === 6 ? routes.ipv6 : routes.ipv4).push(vip);
  return { routes, withheld: null };
}

export function sameRoutes(a: VipRoutes, b: VipRoutes): boolean {
  return a.ipv4.join() === b.ipv4.join() && a.ipv6.join() === b.ipv6.join();
}
