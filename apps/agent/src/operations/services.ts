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
import { checkBackendRoom, checkSameFamily, checkServiceRoom } from './limits.js';
import { backendView, requireService, serviceDetail, serviceRecord, serviceView } from './views.js';

/** Merges a patch and checks the result whole (e.g. a timeout above the inherited interval). */
export function resolveHealthCheck(base: HealthCheckSpec, patch: HealthCheckPatch | undefined, service: string): HealthCheckSpec {
  const merged = mergeHealthCheck(base, patch ?? {});
  const parsed = healthCheckSchema.safeParse(merged);
  if (!parsed.success)
    throw invalid(`health check of ${service}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

export function servicesApi(agent: Agent): SluiceBackend['services'] {
  return {
    list() {
      return agent.store.services.list().map((service) => {
        const backends = agent.store.services.backends(service.name).map((b) => backendView(agent, service, b));
        return serviceView(agent, service, backends);
      });
    },

    get: (name) => serviceDetail(agent, name),

    create(input: ServiceCreateInput, caller) {
      const name = serviceName(input);
      if (agent.store.services.get(name)) throw conflict(`service ${name} already exists`, { service: name });
      checkServiceRoom(agent, 1);
      const healthCheck = resolveHealthCheck(defaultHealthCheck(input.protocol), input.healthCheck, name);
      const seen = new Set<string>();
      for (const backend of input.backends) {
        const endpoint = formatEndpoint(backend.address, backend.port);
        checkSameFamily(name, input.address, backend.address);
        if (seen.has(endpoint)) throw conflict(`backend ${endpoint} is listed twice`, { endpoint });
        seen.add(endpoint);
      }
      checkBackendRoom(agent, name, input.backends.length);
      agent.commit(caller, (now) => {
        const row = agent.store.services.insert({ ...input, healthCheck }, now);
        for (const backend of input.backends) agent.store.services.insertBackend(row, backend, now);
        return {
          result: undefined,
          audit: [{ action: 'service.create', target: name, before: null, after: { ...serviceRecord(row), backends: input.backends } }],
        };
      });
      return serviceDetail(agent, name);
    },

    update(input: ServiceUpdateInput, caller) {
      const current = requireService(agent, input.service);
      const next = {
        algorithm: input.algorithm ?? current.algorithm,
        mode: input.mode ?? current.mode,
        clientRate: input.clientRate ?? current.clientRate,
        healthCheck: resolveHealthCheck(current.healthCheck, input.healthCheck, current.name),
      };
      agent.commit(caller, (now) => {
        const updated = agent.store.services.update(current.name, next, now);
        return { result: undefined, audit: [{ action: 'service.update', target: current.name, before: serviceRecord(current), after: serviceRecord(updated) }] };
      });
      return serviceDetail(agent, current.name);
    },

    async delete(input: ServiceDeleteInput, caller) {
      const current = requireService(agent, input.service);
      const backends = agent.store.services.backends(current.name);
      const ids = backends.map((b) => ({ endpoint: b.endpoint, id: agent.backendId(current.name, b.endpoint) }));
      const active = ids.reduce((sum, b) => sum + agent.activeFlows(b.id), 0);
      if (active > 0 && !input.force)
        throw conflict(`service ${current.name} still carries ${active} active flows; drain its backends or use force`, {
          service: current.name,
          activeFlows: active,
        });
      agent.commit(caller, () => {
        agent.store.services.delete(current.name);
        return {
          result: undefined,
          audit: [{ action: 'service.delete', target: current.name, before: { ...serviceRecord(current), backends: backends.map((b) => b.endpoint) }, after: null }],
        };
      });
      /* The service no longer matches; clear what its flows left in the table. */
      const flowsEnded = await agent.endFlowsById(ids.flatMap(({ id }) => (id === undefined ? [] : [id])));
      return { deleted: current.name, flowsEnded };
    },
  };
}
