/*
 * stats.*: totals straight from the per-CPU counter maps; series from the
 * sampler (stats/); the live feed turns two readings of the totals a second
 * apart into rates with the sampler's own function (stats/traffic.ts), so it
 * works with or without the sampler and agrees with it.
 */
import type { SluiceBackend, StatsSample, StatsTotals } from '@sluice/api';
import { notFound } from '@sluice/api';
import { errorRates, totalRate, trafficRate } from '../stats/index.js';
import type { Store } from '../store/index.js';
import type { Agent } from './agent.js';
import { sleep } from './backends.js';

/** One live sample: the rates between two readings of the totals, the second's global counters, and the agent's change count. */
export function liveSample(previous: StatsTotals, current: StatsTotals, changes: number): StatsSample {
  const seconds = Math.max(0.001, (current.t - previous.t) / 1000);
  const before = {
    services: new Map(previous.services.map((s) => [s.service, s])),
    backends: new Map(previous.backends.map((b) => [`${b.service} ${b.endpoint}`, b])),
  };
  return {
    t: current.t,
    total: totalRate(
      current.services.map((now) => ({ now, before: before.services.get(now.service) })),
      seconds,
      current.t,
    ),
    services: current.services.map((s) => ({ service: s.service, ...trafficRate(s, before.services.get(s.service), seconds, current.t) })),
    backends: current.backends.map((b) => {
      const earlier = before.backends.get(`${b.service} ${b.endpoint}`);
      return {
        service: b.service,
        endpoint: b.endpoint,
        ...trafficRate(b, earlier, seconds, current.t),
        errors: errorRates(b.errors, earlier?.errors, seconds),
      };
    }),
    global: current.global,
    changes,
  };
}

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

    async *live(signal) {
      let previous = agent.totals();
      while (!signal.aborted) {
        await sleep(1000, signal);
        if (signal.aborted) return;
        const current = agent.totals();
        const sample = liveSample(previous, current, agent.changeCount());
        previous = current;
        yield sample;
      }
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
