/*
 * stats.*: totals straight from the per-CPU counter maps; series from the
 * sampler (stats/); the live feed from the agent's one feed for every
 * subscriber (stats/live-feed.ts), which turns two readings of the totals a
 * second apart into rates with the sampler's own function.
 */
import type { SluiceBackend } from '@sluice/api';
import { notFound } from '@sluice/api';
import type { Store } from '../store/index.js';
import type { Agent } from './agent.js';

export function statsOperations(agent: Agent): SluiceBackend['stats'] {
  return {
    totals: () => agent.totals(),

    series(scope, seconds) {
      if (!scope.service) return agent.series({}, seconds);
      const service = agent.placement().get(scope.service);
      if (!service) throw notFound(`no service ${scope.service}`, { service: scope.service });
      if (!scope.backend) return agent.series({ service: service.id }, seconds);
      const backend = service.backends.get(scope.backend);
      if (backend === undefined) throw notFound(`service ${scope.service} has no backend ${scope.backend}`, { endpoint: scope.backend });
      return agent.series({ backend }, seconds);
    },

    live(service, signal) {
      if (service !== undefined && !agent.placement().has(service)) throw notFound(`no service ${service}`, { service });
      return agent.liveSamples(service, signal);
    },
  };
}

/** What the Prometheus endpoint (metrics/) reads at each scrape: totals, health and settings by name. */
export function metricsSnapshot(agent: Agent, store: Store, version: string, flowsTracked: number, flowTableCapacity: number) {
  const totals = agent.totals();
  const eligible = agent.eligibleBackendCounts();
  const settings = new Map(store.services.backends().map((b) => [`${b.service} ${b.endpoint}`, b]));
  return {
    version,
    global: totals.global,
    flowsTracked,
    flowTableCapacity,
    services: totals.services.map((service) => ({ ...service, eligibleBackends: eligible.get(service.service) ?? 0 })),
    backends: totals.backends.map(({ endpoint, ...traffic }) => {
      const row = settings.get(`${traffic.service} ${endpoint}`);
      return {
        ...traffic,
        backend: endpoint,
        up: agent.isUp(traffic.service, endpoint),
        weight: row?.weight ?? 0,
        state: row?.state,
      };
    }),
    node: agent.nodeMetrics(),
    eventLoop: agent.eventLoopDelay(),
  };
}
