/*
 * Real traffic from the client namespace to one of the lab's services,
 * returning which backend answered how often: the tests' proof that a change
 * made in the UI reached the data plane. The sending is shared with the e2e
 * suite; this names the lab's services and its defaults.
 */
import { type BulkReport, type Hold, hold, http, lineProbe, udp } from '@sluice/testbed/client-traffic';
import { SERVICES, type ServiceKey, namespace } from './lab-settings.ts';

const CLIENT = { namespace: namespace('client') };
/* A held connection says something every 200 ms: often enough to notice a broken flow, little enough for the table. */
const HOLD_INTERVAL_MS = 200;

/** count HTTP GETs to a service, each on a new TCP connection (so each is a new flow). */
export function httpRequests(
  service: ServiceKey,
  count: number,
  options: { concurrency?: number; source?: string; requestTimeoutMs?: number } = {},
): Promise<BulkReport> {
  const s = SERVICES[service];
  return http(CLIENT, s.address, s.port, { count, concurrency: options.concurrency ?? 3, source: options.source, requestTimeoutMs: options.requestTimeoutMs });
}

/** count short line-protocol connections (greeting, one echo), counted by the backend that greeted. */
export function lineConnections(service: ServiceKey, count: number): Promise<BulkReport> {
  const s = SERVICES[service];
  return lineProbe(CLIENT, s.address, s.port, { count, concurrency: 3 });
}

/** count UDP exchanges, each from a new source port: count new flows that stay in the table for the UDP timeout. */
export function udpFlows(service: ServiceKey, count: number, options: { concurrency?: number; source?: string } = {}): Promise<BulkReport> {
  const s = SERVICES[service];
  return udp(CLIENT, s.address, s.port, { count, concurrency: options.concurrency ?? 200, source: options.source, newSocket: true });
}

/** One long-lived TCP connection to a line service; resolves once a backend greeted it. */
export function holdConnection(service: ServiceKey, options: { seconds: number; source?: string }): Promise<Hold> {
  const s = SERVICES[service];
  return hold(CLIENT, s.address, s.port, { ...options, intervalMs: HOLD_INTERVAL_MS });
}

/** count HTTP GETs to any address and port (the modes spec's services, made in the console), each on a new connection. */
export function httpTo(address: string, port: number, count: number): Promise<BulkReport> {
  return http(CLIENT, address, port, { count, concurrency: 3 });
}
