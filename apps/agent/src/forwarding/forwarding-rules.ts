/*
 * The forwarding modes' rules for a change, checked before the store commits
 * it (so a refusal changes nothing):
 * - dsr only rewrites the destination MAC, so each backend must be on a link
 *   of the balancer: the kernel's route to it has no gateway;
 * - ipip and gue need an outer source address of the service's family
 *   (tunnel-settings.ts);
 * - in dsr, ipip and gue the client's packet reaches the backend unchanged,
 *   VIP and port included (the backend answers from them), so a backend's
 *   port must be the service's.
 * Only what the change adds is checked (a service new to a mode, a backend
 * new to a dsr service): a route that changed under a running service does
 * not block unrelated changes; the data plane counts what it then drops
 * (CNT_DROP_DSR_NOT_ON_LINK).
 */
import { type ServiceSpec, addressFamily, formatEndpoint, invalid, isTunnelMode, serviceName } from '@sluice/api';
import type { HostNetwork, RouteToAddress } from './host-network.js';
import type { TunnelSources } from './tunnel-settings.js';

export interface ForwardingContext {
  network: Pick<HostNetwork, 'routesTo'>;
  tunnel: TunnelSources;
}

/** `after`: the services the change wrote; `before`: what they were (the specs it replaced or removed), by name. */
export function checkForwardingChange(before: readonly ServiceSpec[], after: readonly ServiceSpec[], context: ForwardingContext): void {
  const previous = new Map(before.map((service) => [serviceName(service), service]));
  /* Every route the checks below read, asked in one question: an import of thousands of dsr backends asked one at a time took a minute. */
  const routes = context.network.routesTo(after.flatMap((service) => newDsrBackends(service, previous.get(serviceName(service))).map((b) => b.address)));
  for (const service of after) {
    const name = serviceName(service);
    const was = previous.get(name);
    const modeIsNew = was?.mode !== service.mode;
    if (isTunnelMode(service.mode) && modeIsNew) checkTunnelSource(name, service, context.tunnel);
    if (service.mode === 'nat') continue;
    for (const backend of service.backends) checkSamePort(name, service, backend);
    for (const backend of newDsrBackends(service, was)) {
      checkOnLink(name, formatEndpoint(backend.address, backend.port), backend.address, routes.get(backend.address)!);
    }
  }
}

/** The backends a dsr service adds (all of them when it is new to dsr), the first of each address: the ones checked on-link. */
function newDsrBackends(service: ServiceSpec, was: ServiceSpec | undefined): ServiceSpec['backends'] {
  if (service.mode !== 'dsr') return [];
  const seen = new Set(was?.mode === service.mode ? was.backends.map((b) => b.address) : []);
  return service.backends.filter((backend) => !seen.has(backend.address) && seen.add(backend.address));
}

function checkTunnelSource(name: string, service: ServiceSpec, tunnel: TunnelSources): void {
  const family = addressFamily(service.address) as 4 | 6;
  const why = tunnel.missing[family];
  if (why) throw invalid(`service ${name} cannot use ${service.mode}: ${why}`, { service: name });
}

function checkSamePort(name: string, service: ServiceSpec, backend: { address: string; port: number }): void {
  if (backend.port === service.port) return;
  const endpoint = formatEndpoint(backend.address, backend.port);
  throw invalid(
    `backend ${endpoint} of ${name} cannot use ${service.mode}: in ${service.mode} the client's packet reaches the backend unchanged, ` +
      `to port ${service.port}, so the backend must serve port ${service.port} (only nat rewrites the port)`,
    { service: name, endpoint },
  );
}

function checkOnLink(name: string, endpoint: string, address: string, route: RouteToAddress | Error): void {
  if (route instanceof Error) throw invalid(`backend ${endpoint} of ${name} cannot use dsr: ${route.message}`, { service: name, endpoint });
  if (route.gateway)
    throw invalid(
      `backend ${endpoint} of ${name} cannot use dsr: the balancer reaches ${address} through the gateway ${route.gateway} (dev ${route.dev}), ` +
        'and dsr only changes the destination MAC, so the backend must be on a link of the balancer; use ipip or gue for routed backends',
      { service: name, endpoint },
    );
}
