/*
 * Checks a change against the data plane's limits before anything is
 * written, so the error names the limit (the reconciler would refuse too,
 * but later and in its own words).
 */
import { addressFamily, conflict, invalid, limitReached } from '@sluice/api';
import type { Agent } from './agent.js';

export function checkServiceRoom(agent: Agent, adding: number): void {
  const { maxServices } = agent.reconciler.limits;
  const count = agent.store.services.count();
  if (count + adding > maxServices)
    throw limitReached(`the data plane holds at most ${maxServices} services and ${count} exist`, { limit: maxServices, current: count });
}

export function checkBackendRoom(agent: Agent, service: string, adding: number): void {
  const { maxBackends, maxBackendsPerService } = agent.reconciler.limits;
  const total = agent.store.services.backendCount();
  if (total + adding > maxBackends)
    throw limitReached(`the data plane holds at most ${maxBackends} backends and ${total} exist`, { limit: maxBackends, current: total });
  const inService = agent.store.services.backendCountOf(service);
  if (inService + adding > maxBackendsPerService)
    throw limitReached(`service ${service} may have at most ${maxBackendsPerService} backends and has ${inService}`, {
      limit: maxBackendsPerService,
      current: inService,
    });
}

export function checkSameFamily(serviceName: string, serviceAddress: string, backendAddress: string): void {
  const want = addressFamily(serviceAddress);
  const got = addressFamily(backendAddress);
  if (want !== got)
    throw invalid(`backend ${backendAddress} is IPv${got} but service ${serviceName} is IPv${want}`, { service: serviceName });
}

export function checkNoDuplicate(agent: Agent, service: string, endpoint: string): void {
  if (agent.store.services.backend(service, endpoint))
    throw conflict(`service ${service} already has backend ${endpoint}`, { service, endpoint });
}
