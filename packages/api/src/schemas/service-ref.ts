import { z } from 'zod';
import { addressFamily, canonicalAddress, formatEndpoint } from './address.ts';
import { type Protocol, PROTOCOLS, serviceName } from './service.ts';

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

/** A service name, canonicalised. */
export const serviceRefSchema = z
  .string()
  .trim()
  .transform((text, ctx) => {
    const parsed = parseServiceName(text);
    if (typeof parsed === 'string') {
      ctx.addIssue({ code: 'custom', message: parsed });
      return z.NEVER;
    }
    return serviceName(parsed);
  });

/** A backend endpoint, canonicalised. */
export const endpointRefSchema = z
  .string()
  .trim()
  .transform((text, ctx) => {
    const parsed = parseEndpoint(text);
    if (typeof parsed === 'string') {
      ctx.addIssue({ code: 'custom', message: parsed });
      return z.NEVER;
    }
    return formatEndpoint(parsed.address, parsed.port);
  });
