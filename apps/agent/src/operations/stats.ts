/*
 * stats.*: totals straight from the per-CPU counter maps; series from the
 * sampler (stats/); the live feed computes its own one-second rates from
 * totals so it works with or without the sampler.
 */
import type { RatePoint, SluiceBackend, StatsSample, StatsTotals, TrafficTotals } from '@sluice/api';
import { notFound } from '@sluice/api';
import type { Agent } from './agent.js';
import { SluiceCounter, type TrafficCounters } from '../dataplane/index.js';
import { sleep } from './backends.js';

const COUNTER_NAMES = Object.entries(SluiceCounter)
  .filter(([name]) => name !== 'CNT_MAX')
  .map(([name, index]) => [name.replace(/^CNT_/, '').toLowerCase(), index] as const);

const ZERO: TrafficCounters = { packets: 0n, bytes: 0n, reply_packets: 0n, reply_bytes: 0n, new_flows: 0n, drops: 0n };

function totalsOf(counters: TrafficCounters | undefined, activeFlows: number): TrafficTotals {
  const c = counters ?? ZERO;
  return {
    packets: Number(c.packets),
    bytes: Number(c.bytes),
    replyPackets: Number(c.reply_packets),
    replyBytes: Number(c.reply_bytes),
    newFlows: Number(c.new_flows),
    drops: Number(c.drops),
    activeFlows,
  };
}

export function readTotals(agent: Agent): StatsTotals {
  const maps = agent.dataplane.maps;
  const global: Record<string, number> = {};
  for (const [name, index] of COUNTER_NAMES) global[name] = Number(maps.globalCounters.lookupSum(index) ?? 0n);
  const services: StatsTotals['services'] = [];
  const backends: StatsTotals['backends'] = [];
  for (const [service, { id, backends: ids }] of agent.reconciler.ids()) {
    let serviceActive = 0;
    for (const [endpoint, backendId] of ids) {
      const active = agent.activeFlows(backendId);
      serviceActive += active;
      backends.push({ service, endpoint, ...totalsOf(maps.backendCounters.lookupSum(backendId), active) });
    }
    services.push({ service, ...totalsOf(maps.serviceCounters.lookupSum(id), serviceActive) });
  }
  return { t: Date.now(), global, services, backends };
}

function rate(now: TrafficTotals, before: TrafficTotals | undefined, seconds: number, t: number): RatePoint {
  const delta = (field: keyof TrafficTotals) => (before ? Math.max(0, now[field] - before[field]) / seconds : 0);
  return {
    t,
    pps: delta('packets') + delta('replyPackets'),
    bps: (delta('bytes') + delta('replyBytes')) * 8,
    newFlowsPerSec: delta('newFlows'),
    activeFlows: now.activeFlows,
  };
}

function sum(list: TrafficTotals[]): TrafficTotals {
  const total = totalsOf(undefined, 0);
  for (const item of list) for (const key of Object.keys(total) as (keyof TrafficTotals)[]) total[key] += item[key];
  return total;
}

export function statsApi(agent: Agent): SluiceBackend['stats'] {
  return {
    totals: () => readTotals(agent),

    series(scope, seconds) {
      const sampler = agent.parts.stats;
      if (!sampler) return [];
      if (!scope.service) return sampler.series({}, seconds);
      const service = agent.reconciler.ids().get(scope.service);
      if (!service) throw notFound(`no service ${scope.service}`, { service: scope.service });
      if (!scope.backend) return sampler.series({ service: service.id }, seconds);
      const backend = service.backends.get(scope.backend);
      if (backend === undefined) throw notFound(`service ${scope.service} has no backend ${scope.backend}`, { endpoint: scope.backend });
      return sampler.series({ backend }, seconds);
    },

    async *live(signal) {
      let previous = readTotals(agent);
      while (!signal.aborted) {
        await sleep(1000, signal);
        if (signal.aborted) return;
        const current = readTotals(agent);
        const seconds = Math.max(0.001, (current.t - previous.t) / 1000);
        const before = {
          services: new Map(previous.services.map((s) => [s.service, s])),
          backends: new Map(previous.backends.map((b) => [`${b.service} ${b.endpoint}`, b])),
        };
        const sample: StatsSample = {
          t: current.t,
          total: rate(sum(current.services), sum(previous.services), seconds, current.t),
          services: current.services.map((s) => ({ service: s.service, ...rate(s, before.services.get(s.service), seconds, current.t) })),
          backends: current.backends.map((b) => ({
            service: b.service,
            endpoint: b.endpoint,
            ...rate(b, before.backends.get(`${b.service} ${b.endpoint}`), seconds, current.t),
          })),
        };
        previous = current;
        yield sample;
      }
    },
  };
}
