/* backends.*: operator changes; bulk runs several in one transaction (all or nothing). */
import { type AdminState, type BackendBulkInput, type Identity, type SluiceBackend, conflict, formatEndpoint, invalid } from '@sluice/api';
import type { Agent } from './agent.js';
import type { AuditRecord, BackendRow, Store } from '../store/index.js';
import { checkBackendRoom, checkNoDuplicate, checkSameFamily } from './limits.js';
import { backendRecord, backendView, requireBackend, requireService } from './views.js';

const target = (backend: Pick<BackendRow, 'service' | 'endpoint'>) => `${backend.service} ${backend.endpoint}`;

/* Each step runs inside a commit: it may throw, and then nothing of the commit stays. */

/** A step's audit rows and the backend row as it now is (read once, before the change). */
interface Step {
  audit: AuditRecord[];
  after: BackendRow;
}

function setWeightStep(store: Store, backend: BackendRow, weight: number, now: number): Step {
  if (backend.weight === weight) return { audit: [], after: backend };
  const after = store.services.setWeight(backend, weight, now);
  return { audit: [{ action: 'backend.setWeight', target: target(backend), before: backendRecord(backend), after: backendRecord(after) }], after };
}

function setStateStep(store: Store, backend: BackendRow, state: AdminState, drainTimeoutMs: number | undefined, now: number): Step {
  if (drainTimeoutMs !== undefined && state !== 'drain') throw invalid(`drainTimeoutMs applies to state drain, not ${state}`, { endpoint: backend.endpoint });
  /* Idempotent: the same state again changes nothing (a drain keeps its clock unless a new timeout is given). */
  if (backend.state === state && drainTimeoutMs === undefined) return { audit: [], after: backend };
  const after = store.services.setState(backend, state, drainTimeoutMs ?? null, now);
  return { audit: [{ action: 'backend.setState', target: target(backend), before: backendRecord(backend), after: backendRecord(after) }], after };
}

interface Removal {
  backend: BackendRow;
  dataplaneId: number | undefined;
}

function removeStep(agent: Agent, store: Store, backend: BackendRow, force: boolean): { audit: AuditRecord[]; removal: Removal } {
  const { dataplaneId, activeFlows: active } = agent.backendFacts(backend.service, backend.endpoint);
  if (active > 0 && !force)
    throw conflict(`backend ${backend.endpoint} of ${backend.service} still carries ${active} active flows; drain it first or use force`, {
      service: backend.service,
      endpoint: backend.endpoint,
      activeFlows: active,
    });
  store.services.deleteBackend(backend);
  return {
    audit: [{ action: 'backend.remove', target: target(backend), before: { ...backendRecord(backend), activeFlows: active }, after: null }],
    removal: { backend, dataplaneId: dataplaneId ?? undefined },
  };
}

/**
 * After the commit: the removed backends are out of every table; delete their
 * flow entries. What that cut goes to the audit log after each removal's entry
 * (open connections cut, closed entries removed apart), and to the caller.
 */
async function endRemovedFlows(agent: Agent, caller: Identity, removals: Removal[]): Promise<{ flowsEnded: number; closedEntriesRemoved: number }> {
  const ended = await agent.endFlowsById(removals.flatMap(({ dataplaneId }) => (dataplaneId === undefined ? [] : [dataplaneId])));
  const counts = { flowsEnded: ended.open, closedEntriesRemoved: ended.closed };
  agent.recordAudit(caller, {
    action: 'backend.remove.flowsEnded',
    target: removals.map(({ backend }) => target(backend)).join(', '),
    before: null,
    after: { connectionsCut: ended.open, closedEntriesRemoved: ended.closed },
  });
  return counts;
}

export function backendOperations(agent: Agent, store: Store): SluiceBackend['backends'] {
  return {
    list(serviceName) {
      const service = requireService(store, serviceName);
      return store.services.backends(service.name).map((b) => backendView(agent, service, b));
    },

    async add(input, caller) {
      const service = requireService(store, input.service);
      const endpoint = formatEndpoint(input.address, input.port);
      checkSameFamily(service.name, service.address, input.address);
      checkNoDuplicate(store, service.name, endpoint);
      checkBackendRoom(agent.limits, store, service.name, 1);
      const row = await agent.commit(caller, (now) => {
        const row = store.services.insertBackend(service, input, now);
        return { result: row, audit: [{ action: 'backend.add', target: target(row), before: null, after: backendRecord(row) }] };
      });
      return backendView(agent, service, row);
    },

    async setWeight(input, caller) {
      const service = requireService(store, input.service);
      const backend = requireBackend(store, service.name, input.endpoint);
      const after = await agent.commit(caller, (now) => {
        const step = setWeightStep(store, backend, input.weight, now);
        return { result: step.after, audit: step.audit };
      });
      return backendView(agent, service, after);
    },

    async setState(input, caller) {
      const service = requireService(store, input.service);
      const backend = requireBackend(store, service.name, input.endpoint);
      const after = await agent.commit(caller, (now) => {
        const step = setStateStep(store, backend, input.state, input.drainTimeoutMs, now);
        return { result: step.after, audit: step.audit };
      });
      return backendView(agent, service, after);
    },

    async remove(input, caller) {
      const service = requireService(store, input.service);
      const backend = requireBackend(store, service.name, input.endpoint);
      const removal = await agent.commit(caller, () => {
        const { audit, removal } = removeStep(agent, store, backend, input.force);
        return { result: removal, audit };
      });
      return { removed: backend.endpoint, ...(await endRemovedFlows(agent, caller, [removal])) };
    },

    async bulk(input: BackendBulkInput, caller: Identity) {
      const service = requireService(store, input.service);
      const backends = input.endpoints.map((endpoint) => requireBackend(store, service.name, endpoint));
      const { change } = input;
      const { removals, kept } = await agent.commit(caller, (now) => {
        const audit: AuditRecord[] = [];
        const removed: Removal[] = [];
        const kept: BackendRow[] = [];
        for (const backend of backends) {
          if (change.action === 'remove') {
            const step = removeStep(agent, store, backend, change.force);
            audit.push(...step.audit);
            removed.push(step.removal);
            continue;
          }
          const step =
            change.action === 'setWeight'
              ? setWeightStep(store, backend, change.weight, now)
              : setStateStep(store, backend, change.state, change.drainTimeoutMs, now);
          audit.push(...step.audit);
          kept.push(step.after);
        }
        return { result: { removals: removed, kept }, audit };
      });
      const ended = removals.length ? await endRemovedFlows(agent, caller, removals) : { flowsEnded: 0, closedEntriesRemoved: 0 };
      return {
        backends: kept.map((b) => backendView(agent, service, b)),
        removed: removals.map((r) => r.backend.endpoint),
        ...ended,
      };
    },

    async *watch(serviceName, intervalMs, signal) {
      requireService(store, serviceName);
      while (!signal.aborted) {
        const service = store.services.get(serviceName);
        if (!service) return;
        yield store.services.backends(service.name).map((b) => backendView(agent, service, b));
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
