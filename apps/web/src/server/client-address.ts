/*
 * The browser's address, for the agent's per-source login throttle.
 *
 * Next.js route handlers see no socket, only headers: `next start` sets
 * X-Forwarded-For to the connection's address unless the request already
 * carries one, and a reverse proxy in front appends the address it saw. So
 * the last entry is the nearest hop that is not this server — the browser
 * when the console is reached directly, the real client behind a proxy.
 *
 * Without a proxy a client can send its own header and so pick its source
 * key. That lets it dodge or misdirect the per-source count, never the
 * per-user one, which is what protects an account; a proxy that sets the
 * header (nginx's $proxy_add_x_forwarded_for) closes even that.
 */
import { isIP } from 'node:net';

export function clientAddressOf(request: Request): string | null {
  const hops = (request.headers.get('x-forwarded-for') ?? '')
    .split(',')
    .map((hop) => hop.trim())
    .filter(Boolean);
  const last = hops.at(-1)?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  return last && isIP(last) ? last : null;
}
