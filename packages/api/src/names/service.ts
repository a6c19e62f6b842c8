/*
 * The contract's words and spellings without zod: algorithms, protocols,
 * forwarding modes, admin states, and how services ("VIP:PORT/PROTO") and
 * backends ("ADDR:PORT") are named. The schemas (schemas/) build on these; the
 * CLI imports them alone (@sluice/api/names), so a call to the agent does not
 * load zod (half a megabyte to compile at every start).
 */
import { addressFamily, canonicalAddress, formatEndpoint } from './address.ts';

export const ALGORITHMS = ['round-robin', 'weighted-round-robin', 'least-connections', 'source-hash', 'maglev'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

export const PROTOCOLS = ['tcp', 'udp'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/*
 * How packets reach the backends (bpf/include/sluice_shared.h, enum sluice_forwarding_mode):
 * nat rewrites the destination and replies return through the balancer; dsr
 * changes only the destination MAC (an on-link backend); ipip and gue
 * encapsulate to the backend. In the last three the backend answers the client
 * directly. Switching moves new flows only: a flow keeps the mode it began with.
 */
export const FORWARDING_MODES = ['nat', 'dsr', 'ipip', 'gue'] as const;
export type ForwardingMode = (typeof FORWARDING_MODES)[number];

/** ready: takes new flows; drain and maint: keep existing flows, take no new ones. */
export const ADMIN_STATES = ['ready', 'drain', 'maint'] as const;
export type AdminState = (typeof ADMIN_STATES)[number];

/** "198.18.100.1:80/tcp" or "[2001:db8::1]:80/udp": how services are named. */
export function serviceName(service: { address: string; port: number; protocol: Protocol }): string {
  return `${formatEndpoint(service.address, service.port)}/${service.protocol}`;
}

/*
 * Services are addressed by name, "VIP:PORT/PROTO" ("[ADDR]:PORT/PROTO" for
 * IPv6), and backends by endpoint, "ADDR:PORT". Parsing gives one canonical
 * spelling, so "[2001:DB8::0:1]:80/tcp" and "[2001:db8::1]:80/tcp" are one service.
 */

export interface Endpoint {
  address: string;
  port: number;
}

/** "198.18.0.5:80" or "[2001:db8::5]:80" -> address and port, or an error message. */
export function parseEndpoint(text: string): Endpoint | string {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  if (!match) return `"${text}" is not ADDR:PORT (IPv6 as [ADDR]:PORT)`;
  const [, rawAddress = '', rawPort = ''] = match;
  const family = addressFamily(rawAddress);
  if (family === null) return `"${rawAddress}" is not an IPv4 or IPv6 address`;
  if (family === 6 && !text.startsWith('[')) return `IPv6 address "${rawAddress}" must be written [ADDR]:PORT`;
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return `port ${rawPort} in "${text}" is not 1 to 65535`;
  return { address: canonicalAddress(rawAddress), port };
}

export interface ServiceAddress extends Endpoint {
  protocol: Protocol;
}

export function parseServiceName(text: string): ServiceAddress | string {
  const slash = text.lastIndexOf('/');
  if (slash < 0) return `"${text}" is not VIP:PORT/PROTO (e.g. 198.18.100.1:80/tcp)`;
  const protocol = text.slice(slash + 1).toLowerCase();
  if (!(PROTOCOLS as readonly string[]).includes(protocol)) return `protocol "${protocol}" in "${text}" is not tcp or udp`;
  const endpoint = parseEndpoint(text.slice(0, slash));
  if (typeof endpoint === 'string') return endpoint;
  return { ...endpoint, protocol: protocol as Protocol };
}
