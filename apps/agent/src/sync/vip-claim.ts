/*
 * Whether this node holds the VIPs (keepalived puts them on an interface of
 * the master) and for how long: what its ALIVE frames tell the peer, so the
 * pair can see a split brain (split-brain.ts). Any applied service VIP on a
 * non-loopback interface counts: that is an address this node answers ARP for.
 */
import { networkInterfaces } from 'node:os';
import type { VipClaim } from './split-brain.js';

export class VipClaimTracker {
  readonly #vips: () => Set<string>;
  #since: number | null = null;

  constructor(vips: () => Set<string>) {
    this.#vips = vips;
  }

  /** Read on every ALIVE (every 200 ms): getifaddrs, no process, no netlink dump of routes. */
  claim(now = Date.now()): VipClaim {
    const vips = this.#vips();
    let holds = false;
    for (const addresses of Object.values(networkInterfaces()))
      for (const address of addresses ?? []) if (!address.internal && vips.has(address.address)) holds = true;
    if (!holds) this.#since = null;
    else this.#since ??= now;
    return { holds, heldForMs: this.#since === null ? 0 : now - this.#since };
  }
}
