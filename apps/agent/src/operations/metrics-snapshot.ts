/* What the Prometheus endpoint (metrics/) reads at each scrape: totals, health and settings by name. */
import { readTotals } from './stats.js';
import type { Agent } from './agent.js';

export function metricsSnapshot(agent: Agent, version: string) {
  const totals = readTotals(agent);
  const settings = new Map(agent.store.services.backends().map((b) => [`${b.service} ${b.endpoint}`, b]));
  const lastSweep = agent.parts.conntrack?.lastReport;
  return {
    version,
    global: totals.global,
    flowsTracked: lastSweep?.flows ?? 0,
    services: totals.services,
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
  };
}
