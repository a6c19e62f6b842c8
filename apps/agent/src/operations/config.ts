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

export function importConfig(
  agent: Agent,
  store: Store,
  input: Pick<ConfigImportInput, 'document' | 'dryRun' | 'force'>,
  caller: Identity,
): ConfigImportResult {
  const { document, dryRun, force } = input;
  const result: ConfigImportResult = {
    dryRun,
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
  const checkRemovable = (service: string, endpoint: string) => {
    const { dataplaneId: id, activeFlows: active } = agent.backendFacts(service, endpoint);
    if (active > 0 && !force)
      throw conflict(`import would remove backend ${endpoint} of ${service}, which carries ${active} active flows; drain it first or use force`, {
        service,
        endpoint,
        activeFlows: active,
      });
    if (id !== null) removedIds.push(id);
  };

  const apply = (now: number): AuditRecord[] => {
    const audit: AuditRecord[] = [];
    for (const existing of store.services.list()) {
      if (wanted.has(existing.name)) continue;
      for (const b of store.services.backends(existing.name)) checkRemovable(existing.name, b.endpoint);
      store.services.delete(existing.name);
      result.servicesDeleted.push(existing.name);
      audit.push({ action: 'service.delete', target: existing.name, before: serviceRecord(existing), after: null });
    }
    for (const [name, spec] of wanted) {
      const healthCheck = resolveHealthCheck(defaultHealthCheck(spec.protocol), spec.healthCheck, name);
      let service = store.services.get(name);
      if (!service) {
        service = store.services.insert({ ...spec, clientRate: spec.clientRate ?? 0, healthCheck }, now);
        result.servicesCreated.push(name);
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
        audit.push({ action: 'service.update', target: name, before: serviceRecord(before), after: serviceRecord(service) });
      }
      const wantedBackends = new Map(spec.backends.map((b) => [formatEndpoint(b.address, b.port), b]));
      for (const existing of store.services.backends(name)) {
        if (wantedBackends.has(existing.endpoint)) continue;
        checkRemovable(name, existing.endpoint);
        store.services.deleteBackend(existing);
        result.backendsRemoved++;
        audit.push({ action: 'backend.remove', target: `${name} ${existing.endpoint}`, before: backendRecord(existing), after: null });
      }
      for (const [endpoint, b] of wantedBackends) {
        const existing = store.services.backend(name, endpoint);
        if (!existing) {
          const row = store.services.insertBackend(service, b, now);
          result.backendsAdded++;
          audit.push({ action: 'backend.add', target: `${name} ${endpoint}`, before: null, after: backendRecord(row) });
          continue;
        }
        let after = existing;
        if (existing.weight !== b.weight) after = store.services.setWeight(after, b.weight, now);
        if (existing.state !== b.state) after = store.services.setState(after, b.state, null, now);
        if (after !== existing) {
          result.backendsChanged++;
          audit.push({ action: 'backend.update', target: `${name} ${endpoint}`, before: backendRecord(existing), after: backendRecord(after) });
        }
      }
    }
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
    return result;
  }
  agent.commit(caller, (now) => {
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
