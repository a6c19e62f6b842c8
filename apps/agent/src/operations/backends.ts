/* backends.*: operator changes; bulk runs several in one transaction (all or nothing). */
import {
  type AdminState,
  type BackendBulkInput,
  type BackendView,
  type Identity,
  type SluiceBackend,
  conflict,
  formatEndpoint,
  invalid,
} from '@sluice/api';
import type { Agent } from './agent.js';
import type { AuditRecord, BackendRow, ServiceRow } from '../store/index.js';
import { checkBackendRoom, checkNoDuplicate, checkSameFamily } from './limits.js';
import { backendRecord, backendView, requireBackend, requireService } from './views.js';

const target = (backend: Pick<BackendRow, 'service' | 'endpoint'>) => `${backend.service} ${backend.endpoint}`;

/* Each step runs inside a commit: it may throw, and then nothing of the commit stays. */

function setWeightStep(agent: Agent, backend: BackendRow, weight: number, now: number): AuditRecord[] {
  if (backend.weight === weight) return [];
  const after = agent.store.services.setWeight(backend, weight, now);
  return [{ action: 'backend.setWeight', target: target(backend), before: backendRecord(backend), after: backendRecord(after) }];
}

function setStateStep(agent: Agent, backend: BackendRow, state: AdminState, drainTimeoutMs: number | undefined, now: number): AuditRecord[] {
  if (drainTimeoutMs !== undefined && state !== 'drain')
    throw invalid(`drainTimeoutMs applies to state drain, not ${state}`, { endpoint: backend.endpoint });
  /* Idempotent: the same state again changes nothing (a drain keeps its clock unless a new timeout is given). */
  if (backend.state === state && drainTimeoutMs === undefined) return [];
  const after = agent.store.services.setState(backend, state, drainTimeoutMs ?? null, now);
  return [{ action: 'backend.setState', target: target(backend), before: backendRecord(backend), after: backendRecord(after) }];
}

interface Removal {
  backend: BackendRow;
  dataplaneId: number | undefined;
}

function removeStep(agent: Agent, backend: BackendRow, force: boolean): { audit: AuditRecord[]; removal: Removal } {
  const dataplaneId = agent.backendId(backend.service, backend.endpoint);
  const active = agent.activeFlows(dataplaneId);
  if (active > 0 && !force)
    throw conflict(`backend ${backend.endpoint} of ${backend.service} still carries ${active} active flows; drain it first or use force`, {
      service: backend.service,
      endpoint: backend.endpoint,
      activeFlows: active,
    });
  agent.store.services.deleteBackend(backend);
  return {
    audit: [{ action: 'backend.remove', target: target(backend), before: { ...backendRecord(backend), activeFlows: active }, after: null }],
    removal: { backend, dataplaneId },
  };
}

/** After the commit: the removed backends are out of every table; delete their flow entries. */
function endRemovedFlows(agent: Agent, removals: Removal[]): Promise<number> {
  return agent.endFlowsById(removals.flatMap(({ dataplaneId }) => (dataplaneId === undefined ? [] : [dataplaneId])));
}

function view(agent: Agent, service: ServiceRow, endpoint: string): BackendView {
  return backendView(agent, service, requireBackend(agent, service.name, endpoint));
}

export function backendsApi(agent: Agent): SluiceBackend['backends'] {
  return {
    list(serviceName) {
      const service = requireService(agent, serviceName);
      return agent.store.services.backends(service.name).map((b) => backendView(agent, service, b));
    },

    add(input, caller) {
      const service = requireService(agent, input.service);
      const endpoint = formatEndpoint(input.address, input.port);
      checkSameFamily(service.name, service.address, input.address);
      checkNoDuplicate(agent, service.name, endpoint);
      checkBackendRoom(agent, service.name, 1);
      agent.commit(caller, (now) => {
        const row = agent.store.services.insertBackend(service, input, now);
        return { result: undefined, audit: [{ action: 'backend.add', target: target(row), before: null, after: backendRecord(row) }] };
      });
      return view(agent, service, endpoint);
    },

    setWeight(input, caller) {
      const service = requireService(agent, input.service);
      const backend = requireBackend(agent, service.name, input.endpoint);
      agent.commit(caller, (now) => ({ result: undefined, audit: setWeightStep(agent, backend, input.weight, now) }));
      return view(agent, service, backend.endpoint);
    },

    setState(input, caller) {
      const service = requireService(agent, input.service);
      const backend = requireBackend(agent, service.name, input.endpoint);
      agent.commit(caller, (now) => ({ result: undefined, audit: setStateStep(agent, backend, input.state, input.drainTimeoutMs, now) }));
      return view(agent, service, backend.endpoint);
    },

    async remove(input, caller) {
      const service = requireService(agent, input.service);
      const backend = requireBackend(agent, service.name, input.endpoint);
      const removal = agent.commit(caller, () => {
        const { audit, removal } = removeStep(agent, backend, input.force);
        return { result: removal, audit };
      });
      return { removed: backend.endpoint, flowsEnded: await endRemovedFlows(agent, [removal]) };
    },

    async bulk(input: BackendBulkInput, caller: Identity) {
      const service = requireService(agent, input.service);
      const backends = input.endpoints.map((endpoint) => requireBackend(agent, service.name, endpoint));
      const { change } = input;
      const removals = agent.commit(caller, (now) => {
        const audit: AuditRecord[] = [];
        const removed: Removal[] = [];
        for (const backend of backends) {
          if (change.action === 'setWeight') audit.push(...setWeightStep(agent, backend, change.weight, now));
          else if (change.action === 'setState') audit.push(...setStateStep(agent, backend, change.state, change.drainTimeoutMs, now));
          else {
            const step = removeStep(agent, backend, change.force);
            audit.push(...step.audit);
            removed.push(step.removal);
          }
        }
        return { result: removed, audit };
      });
      const flowsEnded = await endRemovedFlows(agent, removals);
      const removedEndpoints = removals.map((r) => r.backend.endpoint);
      return {
        backends: backends.filter((b) => !removedEndpoints.includes(b.endpoint)).map((b) => view(agent, service, b.endpoint)),
        removed: removedEndpoints,
        flowsEnded,
      };
    },

    async *watch(serviceName, intervalMs, signal) {
      requireService(agent, serviceName);
      while (!signal.aborted) {
        const service = agent.store.services.get(serviceName);
        if (!service) return;
        yield agent.store.services.backends(service.name).map((b) => backendView(agent, service, b));
        await sleep(intervalMs, signal);
      }
    },
  };
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
