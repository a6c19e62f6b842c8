/* health.*: per-backend health beside its admin state; flips as a live feed. */
import type { BackendHealth, HealthChange, SluiceBackend } from '@sluice/api';
import type { Agent } from './agent.js';
import type { BackendHealthStatus } from './runtime-parts.js';
import { healthOf, requireService } from './views.js';

function healthList(agent: Agent, serviceName: string | undefined): BackendHealth[] {
  const services = serviceName ? [requireService(agent, serviceName)] : agent.store.services.list();
  const result: BackendHealth[] = [];
  for (const service of services) {
    for (const backend of agent.store.services.backends(service.name)) {
      const health = healthOf(agent, service, backend);
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
      });
    }
  }
  return result;
}

export function healthApi(agent: Agent): SluiceBackend['health'] {
  return {
    list: (service) => healthList(agent, service),

    async *changes(serviceName, signal) {
      if (serviceName) requireService(agent, serviceName);
      const queue: HealthChange[] = [];
      let wake: (() => void) | undefined;
      const onChange = (status: BackendHealthStatus) => {
        if (serviceName && status.service !== serviceName) return;
        const current = healthList(agent, status.service).find((h) => h.endpoint === status.endpoint);
        if (!current) return;
        queue.push({ ...current, up: status.up, pending: status.pending, t: Date.now() });
        wake?.();
      };
      agent.parts.health.on('change', onChange);
      const onAbort = () => wake?.();
      signal.addEventListener('abort', onAbort);
      try {
        while (!signal.aborted) {
          if (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          while (queue.length > 0 && !signal.aborted) yield queue.shift()!;
        }
      } finally {
        agent.parts.health.off('change', onChange);
        signal.removeEventListener('abort', onAbort);
      }
    },
  };
}
