/* Store rows plus live data-plane facts -> the API's views. */
import type { BackendHealthView, BackendView, ServiceDetail, ServiceView } from '@sluice/api';
import type { Agent, BackendFacts } from './agent.js';
import type { BackendRow, ServiceRow, Store } from '../store/index.js';
import { backendCounts, notFound, repliesBypassBalancer } from '@sluice/api';

export function healthOf(service: ServiceRow, facts: Pick<BackendFacts, 'health' | 'up'>): BackendHealthView | null {
  if (service.healthCheck.type === 'none') return null;
  const status = facts.health;
  return {
    up: facts.up,
    pending: status?.pending ?? false,
    lastCheckAt: status?.lastCheckAt ?? null,
    lastLatencyMs: status?.lastLatencyMs ?? null,
    lastError: status?.lastError ?? null,
    consecutiveSuccesses: status?.consecutiveSuccesses ?? 0,
    consecutiveFailures: status?.consecutiveFailures ?? 0,
  };
}

/** `openFlows`: a reader of many backends' open flows at once (Agent.openFlowsReader), for a list. */
export function backendView(agent: Agent, service: ServiceRow, backend: BackendRow, openFlows?: (backendId: number | undefined) => number): BackendView {
  const facts = agent.backendFacts(service.name, backend.endpoint, openFlows);
  const health = healthOf(service, facts);
  const up = health?.up ?? true;
  const drain =
    backend.state === 'drain' && backend.drainStartedAt !== null
      ? {
          startedAt: backend.drainStartedAt,
          timeoutMs: backend.drainTimeoutMs,
          deadline: backend.drainTimeoutMs === null ? null : backend.drainStartedAt + backend.drainTimeoutMs,
          expired: backend.drainExpired,
        }
      : null;
  return {
    service: service.name,
    endpoint: backend.endpoint,
    address: backend.address,
    port: backend.port,
    weight: backend.weight,
    state: backend.state,
    eligible: backend.state === 'ready' && up,
    health,
    activeFlows: facts.activeFlows,
    activeIsEstimate: repliesBypassBalancer(service.mode),
    drain,
    dataplaneId: facts.dataplaneId,
    createdAt: backend.createdAt,
    updatedAt: backend.updatedAt,
  };
}

export function serviceView(agent: Agent, service: ServiceRow, backends: BackendView[]): ServiceView {
  return {
    name: service.name,
    address: service.address,
    port: service.port,
    protocol: service.protocol,
    algorithm: service.algorithm,
    mode: service.mode,
    clientRate: service.clientRate,
    healthCheck: service.healthCheck,
    dataplaneId: agent.serviceDataplaneId(service.name),
    ...backendCounts(backends),
    activeIsEstimate: repliesBypassBalancer(service.mode),
    createdAt: service.createdAt,
    updatedAt: service.updatedAt,
  };
}

export function requireService(store: Store, name: string): ServiceRow {
  const service = store.services.get(name);
  if (!service) throw notFound(`no service ${name}`, { service: name });
  return service;
}

export function requireBackend(store: Store, service: string, endpoint: string): BackendRow {
  const backend = store.services.backend(service, endpoint);
  if (!backend) throw notFound(`service ${service} has no backend ${endpoint}`, { service, endpoint });
  return backend;
}

export function serviceDetail(agent: Agent, store: Store, name: string): ServiceDetail {
  const service = requireService(store, name);
  const backends = store.services.backends(name).map((b) => backendView(agent, service, b));
  return { ...serviceView(agent, service, backends), backends };
}

/** What an audit row records of a backend: its desired-state fields. */
export function backendRecord(backend: BackendRow | undefined) {
  if (!backend) return null;
  const { endpoint, weight, state, drainTimeoutMs } = backend;
  return { endpoint, weight, state, ...(state === 'drain' ? { drainTimeoutMs } : {}) };
}

export function serviceRecord(service: ServiceRow | undefined) {
  if (!service) return null;
  const { name, algorithm, mode, clientRate, healthCheck } = service;
  return { name, algorithm, mode, clientRate, healthCheck };
}
