/* health.*: per-backend health beside its admin state; flips as a live feed. */
import type { BackendHealth, HealthChange, SluiceBackend } from '@sluice/api';
import type { Agent } from './agent.js';
import type { BackendHealthStatus } from './runtime-parts.js';
import type { Store } from '../store/index.js';
import { healthOf, requireService } from './views.js';

function healthList(agent: Agent, store: Store, serviceName: string | undefined): BackendHealth[] {
  const services = serviceName ? [requireService(store, serviceName)] : store.services.list();
  const result: BackendHealth[] = [];
  for (const service of services) {
    for (const backend of store.services.backends(service.name)) {
      const status = agent.healthStatus(service.name, backend.endpoint);
      const health = healthOf(service, { health: status, up: agent.isUp(service.name, backend.endpoint) });
      result.push({
        service: service.name,
        endpoint: backend.endpoint,
        state: backend.state,
        checkType: service.healthCheck.type,
        up: health?.up ?? true,
        pending: health?.pending ?? false,
        lastCheckAt: health?.lastCheckAt ?? null,
        lastLatencyMs: health?.lastLatencyMs ?? null,
        lastError: health?.lastError ?? null,
        consecutiveSuccesses: health?.consecutiveSuccesses ?? 0,
        consecutiveFailures: health?.consecutiveFailures ?? 0,
        checkedBy: health ? (status?.checkedBy ?? null) : null,
      });
    }
  }
  return result;
}

export function healthOperations(agent: Agent, store: Store): SluiceBackend['health'] {
  return {
    list: (service) => healthList(agent, store, service),

    async *changes(serviceName, signal) {
      if (serviceName) requireService(store, serviceName);
      const queue: HealthChange[] = [];
      let wake: (() => void) | undefined;
      const onChange = (status: BackendHealthStatus) => {
        if (serviceName && status.service !== serviceName) return;
        const current = healthList(agent, store, status.service).find((h) => h.endpoint === status.endpoint);
        if (!current) return;
        queue.push({ ...current, up: status.up, pending: status.pending, t: Date.now() });
        wake?.();
      };
      const stopListening = agent.onHealthChange(onChange);
      const onAbort = () => wake?.();
      signal.addEventListener('abort', onAbort);
      try {
        while (!signal.aborted) {
          if (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          while (queue.length > 0 && !signal.aborted) yield queue.shift()!;
        }
      } finally {
        stopListening();
        signal.removeEventListener('abort', onAbort);
      }
    },
  };
}
