/*
 * The tunnel settings of the ipip and gue modes (struct tunnel_settings, one
 * entry): the outer source address per family, how many of its low bits come
 * from the flow hash, and the GUE destination port. Written at start and when
 * the settings file is re-read (SIGHUP).
 *
 * The outer source must be an address of the balancer on the network the
 * tunnel leaves on: the fabric's and the backend's reverse-path filters accept
 * it, and ICMP errors about the tunnel (too big, unreachable) come back here.
 * Unset, the agent takes the one global address of that family on its XDP
 * interfaces (the ones the encapsulated packets leave on); with none or more
 * than one, it cannot tell which is right and leaves the family unset, so an
 * ipip or gue service of it is refused, naming the flag to set.
 */
import { addressFamily } from '@sluice/api';
import { type TunnelSettings, addressToBytes } from '@sluice/dataplane';
import type { HostNetwork, InterfaceAddresses } from './host-network.js';

/* The port Katran's GUE examples and the Linux fou docs use; any port works if backends listen on the same. */
export const DEFAULT_GUE_PORT = 6080;
/* IPv4: at most 16 low bits from the hash (a /16 routed to the balancer is already a lot of space). */
export const MAX_SOURCE4_HASH_BITS = 16;
export const MAX_SOURCE6_HASH_BITS = 32;

export interface TunnelOptions {
  /** Outer IPv4 source; unset: the XDP interfaces' one global IPv4 address. */
  source4?: string;
  /** Outer IPv6 source; unset: the XDP interfaces' one global IPv6 address. */
  source6?: string;
  guePort: number;
  source4HashBits: number;
  source6HashBits: number;
}

export const DEFAULT_TUNNEL_OPTIONS: TunnelOptions = { guePort: DEFAULT_GUE_PORT, source4HashBits: 0, source6HashBits: 0 };

/** The settings in force: a source per family or, for a family without one, why not. */
export interface TunnelSources {
  source4?: string;
  source6?: string;
  /** Per family without a source: the sentence that says what to set. */
  missing: { 4?: string; 6?: string };
  guePort: number;
  source4HashBits: number;
  source6HashBits: number;
}

const FLAG = { 4: '--tunnel-source4', 6: '--tunnel-source6' } as const;

/** Fills in each unset source from the interfaces' addresses, when there is exactly one to take. */
export function resolveTunnelSources(options: TunnelOptions, interfaces: readonly string[], network: Pick<HostNetwork, 'interfaceAddresses'>): TunnelSources {
  const resolved: TunnelSources = { ...options, missing: {} };
  let addresses: InterfaceAddresses | undefined;
  for (const family of [4, 6] as const) {
    const key = family === 4 ? 'source4' : 'source6';
    const given = options[key];
    if (given !== undefined) {
      if (addressFamily(given) !== family) throw new Error(`${FLAG[family]} ${given} is not an IPv${family} address`);
      continue;
    }
    addresses ??= network.interfaceAddresses(interfaces);
    const found = [...new Set(addresses[family])];
    if (found.length === 1) resolved[key] = found[0];
    else
      resolved.missing[family] =
        found.length === 0
          ? `the balancer has no IPv${family} tunnel source: set ${FLAG[family]} ADDRESS (an address of the balancer the backends can reach${interfaces.length === 0 ? '' : `; ${interfaces.join(', ')} hold no global IPv${family} address`})`
          : `the balancer has no IPv${family} tunnel source: set ${FLAG[family]} to one of ${found.join(', ')} (${interfaces.join(', ')} hold several, and the agent will not guess)`;
  }
  return resolved;
}

/** The map entry. A family without a source is written as zeros: the data plane drops tunnel packets of it. */
export function tunnelSettingsEntry(sources: TunnelSources): TunnelSettings {
  return {
    source4: sources.source4 ? addressToBytes(sources.source4).bytes.readUInt32BE(0) : 0,
    source6: sources.source6 ? addressToBytes(sources.source6).bytes.subarray(0, 16) : Buffer.alloc(16),
    gue_port: sources.guePort,
    source4_hash_bits: sources.source4HashBits,
    source6_hash_bits: sources.source6HashBits,
  };
}

/** What the settings say in one line, for the log. */
export function describeTunnelSources(sources: TunnelSources): string {
  const v4 = sources.source4 ? `${sources.source4}${sources.source4HashBits ? ` (low ${sources.source4HashBits} bits from the flow hash)` : ''}` : 'unset';
  const v6 = sources.source6 ? `${sources.source6}${sources.source6HashBits ? ` (low ${sources.source6HashBits} bits from the flow hash)` : ''}` : 'unset';
  return `tunnel sources: IPv4 ${v4}, IPv6 ${v6}; GUE port ${sources.guePort}`;
}
