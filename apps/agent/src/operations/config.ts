/*
 * config.export / config.import: the whole service configuration as one
 * declarative document. Import makes the store equal to the document in one
 * transaction (services not in it are deleted), after validating all of it.
 */
import {
  type ConfigDocument,
  type ConfigImportInput,
  type ConfigImportResult,
  type Identity,
  type SluiceBackend,
  conflict,
  defaultHealthCheck,
  formatEndpoint,
  serviceName,
} from '@sluice/api';
import type { Agent } from './agent.js';
import { log } from '../log.js';
import { checkCapacity } from '../reconcile/capacity.js';
import type { AuditRecord, Store } from '../store/index.js';
import { resolveHealthCheck } from './services.js';
import { backendRecord, serviceRecord } from './views.js';

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const backendFields = (b: { weight: number; state: string }) => ({ weight: b.weight, state: b.state });
const backendText = (b: { weight: number; state: string }) => `weight ${b.weight}, ${b.state}`;

/* "algorithm round-robin -> maglev; healthCheck.intervalMs 2000 -> 500": the fields that differ, as a person reads them. */
function differences(before: Record<string, unknown>, after: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = [];
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const [a, b] = [before[key], after[key]];
    if (sameJson(a, b)) continue;
    if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a))
      out.push(...differences(a as Record<string, unknown>, b as Record<string, unknown>, `${prefix}${key}.`));
    else out.push(`${prefix}${key} ${a === undefined ? '(none)' : JSON.stringify(a)} -> ${b === undefined ? '(none)' : JSON.stringify(b)}`);
  }
  return out;
}

export async function importConfig(
  agent: Agent,
  store: Store,
  input: Pick<ConfigImportInput, 'document' | 'dryRun' | 'force'>,
  caller: Identity,
): Promise<ConfigImportResult> {
  const { document, dryRun, force } = input;
  const result: ConfigImportResult = {
    dryRun,
    serviceChanges: [],
    backendChanges: [],
    refusals: [],
    servicesCreated: [],
    servicesUpdated: [],
    servicesDeleted: [],
    backendsAdded: 0,
    backendsChanged: 0,
    backendsRemoved: 0,
  };
  /* The document replaces the whole configuration: its own counts are the state to check. */
  const largest = document.services.reduce<ConfigDocument['services'][number] | undefined>(
    (a, b) => (a && a.backends.length >= b.backends.length ? a : b),
    undefined,
  );
  checkCapacity(agent.limits, {
    services: document.services.length,
    backends: document.services.reduce((n, s) => n + s.backends.length, 0),
    largestService: largest && { name: serviceName(largest), backends: largest.backends.length },
  });

  const wanted = new Map(document.services.map((s) => [serviceName(s), s]));
  const removedIds: number[] = [];
  /* Every backend that blocks the import is collected, so one answer names them all. */
  const blocked: { service: string; endpoint: string; activeFlows: number }[] = [];
  const checkRemovable = (service: string, endpoint: string): number => {
    const { dataplaneId: id, activeFlows: active } = agent.backendFacts(service, endpoint);
    if (active > 0 && !force) blocked.push({ service, endpoint, activeFlows: active });
    if (id !== null) removedIds.push(id);
    return active;
  };
  const refusalOf = (b: (typeof blocked)[number]) =>
    `import would remove backend ${b.endpoint} of ${b.service}, which carries ${b.activeFlows} active flows; drain it first or use force`;

  const apply = (now: number): AuditRecord[] => {
    const audit: AuditRecord[] = [];
    for (const existing of store.services.list()) {
      if (wanted.has(existing.name)) continue;
      const backends = store.services.backends(existing.name);
      for (const b of backends) {
        const active = checkRemovable(existing.name, b.endpoint);
        result.backendChanges.push({ service: existing.name, endpoint: b.endpoint, change: 'remove', detail: `${backendText(b)}, ${active} active flows` });
      }
      store.services.delete(existing.name);
      result.servicesDeleted.push(existing.name);
      result.serviceChanges.push({ service: existing.name, change: 'delete', detail: `with its ${backends.length} backends` });
      audit.push({ action: 'service.delete', target: existing.name, before: serviceRecord(existing), after: null });
    }
    for (const [name, spec] of wanted) {
      const healthCheck = resolveHealthCheck(defaultHealthCheck(spec.protocol), spec.healthCheck, name);
      let service = store.services.get(name);
      if (!service) {
        service = store.services.insert({ ...spec, clientRate: spec.clientRate ?? 0, healthCheck }, now);
        result.servicesCreated.push(name);
        result.serviceChanges.push({ service: name, change: 'create', detail: `${spec.algorithm}, ${spec.mode}, health check ${healthCheck.type}` });
        audit.push({ action: 'service.create', target: name, before: null, after: serviceRecord(service) });
      } else if (
        service.algorithm !== spec.algorithm ||
        service.mode !== spec.mode ||
        service.clientRate !== (spec.clientRate ?? 0) ||
        !sameJson(service.healthCheck, healthCheck)
      ) {
        const before = service;
        service = store.services.update(name, { algorithm: spec.algorithm, mode: spec.mode, clientRate: spec.clientRate ?? 0, healthCheck }, now);
        result.servicesUpdated.push(name);
        result.serviceChanges.push({ service: name, change: 'update', detail: differences(serviceRecord(before)!, serviceRecord(service)!).join('; ') });
        audit.push({ action: 'service.update', target: name, before: serviceRecord(before), after: serviceRecord(service) });
      }
      const wantedBackends = new Map(spec.backends.map((b) => [formatEndpoint(b.address, b.port), b]));
      for (const existing of store.services.backends(name)) {
        if (wantedBackends.has(existing.endpoint)) continue;
        const active = checkRemovable(name, existing.endpoint);
        store.services.deleteBackend(existing);
        result.backendsRemoved++;
        result.backendChanges.push({
          service: name,
          endpoint: existing.endpoint,
          change: 'remove',
          detail: `${backendText(existing)}, ${active} active flows`,
        });
        audit.push({ action: 'backend.remove', target: `${name} ${existing.endpoint}`, before: backendRecord(existing), after: null });
      }
      for (const [endpoint, b] of wantedBackends) {
        const existing = store.services.backend(name, endpoint);
        if (!existing) {
          const row = store.services.insertBackend(service, b, now);
          result.backendsAdded++;
          result.backendChanges.push({ service: name, endpoint, change: 'add', detail: backendText(row) });
          audit.push({ action: 'backend.add', target: `${name} ${endpoint}`, before: null, after: backendRecord(row) });
          continue;
        }
        let after = existing;
        if (existing.weight !== b.weight) after = store.services.setWeight(after, b.weight, now);
        if (existing.state !== b.state) after = store.services.setState(after, b.state, null, now);
        if (after !== existing) {
          result.backendsChanged++;
          result.backendChanges.push({
            service: name,
            endpoint,
            change: 'update',
            detail: differences(backendFields(existing), backendFields(after)).join('; '),
          });
          audit.push({ action: 'backend.update', target: `${name} ${endpoint}`, before: backendRecord(existing), after: backendRecord(after) });
        }
      }
    }
    if (blocked.length > 0 && !dryRun)
      throw conflict(blocked.map(refusalOf).join('; '), {
        backends: blocked.map((b) => `${b.service} ${b.endpoint}`).join(', '),
        flowsCarried: blocked.reduce((n, b) => n + b.activeFlows, 0),
      });
    return audit;
  };

  if (dryRun) {
    /* Run the real thing inside a transaction that is always rolled back: the report is exact. */
    const DRY_RUN = Symbol('dry run');
    try {
      store.transaction(() => {
        agent.checkForwarding(() => apply(Date.now()));
        throw DRY_RUN;
      });
    } catch (error) {
      if (error !== DRY_RUN) throw error;
    }
    result.refusals = blocked.map(refusalOf);
    return result;
  }
  await agent.commit(caller, (now) => {
    const audit = apply(now);
    return {
      result: undefined,
      audit: audit.length ? [{ action: 'config.import', target: 'configuration', before: null, after: summary(result) }, ...audit] : [],
    };
  });
  /* The removed backends are out of every table already; their flow entries go in the background (a table scan). */
  agent.endFlowsById(removedIds).catch((error: Error) => log('error', `ending the flows of removed backends: ${error.message}`));
  return result;
}

function summary(result: ConfigImportResult) {
  const { servicesCreated, servicesUpdated, servicesDeleted, backendsAdded, backendsChanged, backendsRemoved } = result;
  return { servicesCreated, servicesUpdated, servicesDeleted, backendsAdded, backendsChanged, backendsRemoved };
}

export function configOperations(agent: Agent, store: Store): SluiceBackend['config'] {
  return {
    export: (): ConfigDocument => store.exportConfig(),
    import: (input, caller) => importConfig(agent, store, input, caller),
  };
}
