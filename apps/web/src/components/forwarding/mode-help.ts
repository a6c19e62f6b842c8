/* One line per forwarding mode: what it does and what the backend needs (README "Preparing backends"). */
import type { ForwardingMode } from '@sluice/api';

export const MODE_HELP: Record<ForwardingMode, string> = {
  nat: 'The balancer rewrites the destination; replies return through it, so backends must route through the balancer.',
  dsr: 'Only the MAC changes: backends on the balancer’s link, with the VIP on their loopback (arp_ignore=1, arp_announce=2); they answer clients directly.',
  ipip: 'IP-in-IP to the backend’s address, any distance away; the backend runs “sluice backend-host attach” to decapsulate and answers clients directly.',
  gue: 'UDP (GUE) to the backend, for fabrics that drop IP-in-IP; the backend runs “sluice backend-host attach” to decapsulate and answers clients directly.',
};

export const MODE_LABEL: Record<ForwardingMode, string> = { nat: 'NAT', dsr: 'DSR', ipip: 'IPIP', gue: 'GUE' };
