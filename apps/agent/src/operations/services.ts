/* services.*: admin changes to services, each one store transaction + reconcile. */
import {
  type HealthCheckPatch,
  type HealthCheckSpec,
  type ServiceCreateInput,
  type ServiceDeleteInput,
  type ServiceUpdateInput,
  type SluiceBackend,
  conflict,
  defaultHealthCheck,
  formatEndpoint,
  healthCheckSchema,
  invalid,
  mergeHealthCheck,
  serviceName,
} from '@sluice/api';
import type { Agent } from './agent.js';
import type { Store } from '../store/index.js';
import { checkSameFamily, checkServiceRoom } from './limits.js';
import { backendView, requireService, serviceDetail, serviceRecord, serviceView } from './views.js';

/** Merges a patch and checks the result whole (e.g. a timeout above the inherited interval). */
export function resolveHealthCheck(base: HealthCheckSpec, patch: HealthCheckPatch | undefined, service: string): HealthCheckSpec {
  const merged = mergeHealthCheck(base, patch ?? {});
  const parsed = healthCheckSchema.safeParse(merged);
  if (!parsed.success) throw invalid(`health check of ${service}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

export function serviceOperations(agent: Agent, store: Store): SluiceBackend['services'] {
  return {
    list() {
      const openFlows = agent.openFlowsReader();
      return store.services.list().map((service) => {
        const backends = store.services.backends(service.name).map((b) => backendView(agent, service, b, openFlows));
        return serviceView(agent, service, backends);
      });
    },

    get: (name) => serviceDetail(agent, store, name),

    async create(input: ServiceCreateInput, caller) {
      const name = serviceName(input);
      if (store.services.get(name)) throw conflict(`service ${name} already exists`, { service: name });
      const healthCheck = resolveHealthCheck(defaultHealthCheck(input.protocol), input.healthCheck, name);
      const seen = new Set<string>();
      for (const backend of input.backends) {
        const endpoint = formatEndpoint(backend.address, backend.port);
        checkSameFamily(name, input.address, backend.address);
        if (seen.has(endpoint)) throw conflict(`backend ${endpoint} is listed twice`, { endpoint });
        seen.add(endpoint);
      }
      checkServiceRoom(agent.limits, store, name, input.backends.length);
      await agent.commit(caller, (now) => {
        const row = store.services.insert({ ...input, healthCheck }, now);
        for (const backend of input.backends) store.services.insertBackend(row, backend, now);
        return {
          result: undefined,
          audit: [{ action: 'service.create', target: name, before: null, after: { ...serviceRecord(row), backends: input.backends } }],
        };
      });
      return serviceDetail(agent, store, name);
    },

    async update(input: ServiceUpdateInput, caller) {
      const current = requireService(store, input.service);
      const next = {
        algorithm: input.algorithm ?? current.algorithm,
        mode: input.mode ?? current.mode,
        clientRate: input.clientRate ?? current.clientRate,
        healthCheck: resolveHealthCheck(current.healthCheck, input.healthCheck, current.name),
      };
      await agent.commit(caller, (now) => {
        const updated = store.services.update(current.name, next, now);
        return {
          result: undefined,
          audit: [{ action: 'service.update', target: current.name, before: serviceRecord(current), after: serviceRecord(updated) }],
        };
      });
      return serviceDetail(agent, store, current.name);
    },

    async delete(input: ServiceDeleteInput, caller) {
      const current = requireService(store, input.service);
      const backends = store.services.backends(current.name);
      const facts = backends.map((b) => agent.backendFacts(current.name, b.endpoint));
      const active = facts.reduce((sum, b) => sum + b.activeFlows, 0);
      if (active > 0 && !input.force)
        throw conflict(`service ${current.name} still carries ${active} active flows; drain its backends or use force`, {
          service: current.name,
          activeFlows: active,
        });
      await agent.commit(caller, () => {
        store.services.delete(current.name);
        return {
          result: undefined,
          audit: [
            { action: 'service.delete', target: current.name, before: { ...serviceRecord(current), backends: backends.map((b) => b.endpoint) }, after: null },
          ],
        };
      });
      /* The service no longer matches; clear what its flows left in the table. */
      const ended = await agent.endFlowsById(facts.flatMap(({ dataplaneId }) => (dataplaneId === null ? [] : [dataplaneId])));
      return { deleted: current.name, flowsEnded: ended.open };
    },
  };
}
