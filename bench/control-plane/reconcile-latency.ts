/*
 * The Reconciler's share of a change (api-latency.ts times the whole path
 * through the running agent's API): the bench drives the agent's Reconciler
 * directly, on a data plane of its own, and then polls the services map through a second,
 * independent map fd until the service shows the change: its live lookup
 * table flipped (reweight, drain, add backend) or its algorithm changed.
 * A new flow's choice reads exactly those fields, so the first poll that
 * sees them is the first moment a packet would. Not included: the API hop
 * and store transaction in front of the reconcile.
 */
import { fileURLToPath } from 'node:url';
import { dataplaneConfigSchema } from '@sluice/api';
import { loadDataplane, openPinnedMaps } from '@sluice/dataplane';
import { Reconciler } from '@sluice/agent/reconciler';
import type { ServiceConfig } from '@sluice/dataplane';
import { serviceKeyOf } from '@sluice/agent/map-entries';
import { type BenchRecord, againstGoal } from '../record.js';
import { BENCH_PIN_DIR } from '../sluice-agent.js';
import { round, percentile } from '../stats.js';
import { sleep } from '../processes.js';

const GOAL_MS = 5;
const OBJECT = fileURLToPath(new URL('../../bpf/build/sluice.bpf.o', import.meta.url));
const POLL_DEADLINE_MS = 3_000;
export const LATENCY_SERVICE = { address: '198.18.100.1', port: 80, protocol: 'tcp' as const };
const BACKENDS = ['198.19.1.2', '198.19.2.2', '198.19.3.2'];

interface State {
  algorithm: 'maglev' | 'round-robin';
  weight0: number;
  drain1: boolean;
  extraBackend: boolean;
}

export function latencyConfig(s: State) {
  const backends = BACKENDS.map((address, i) => ({
    address,
    port: 8080,
    weight: i === 0 ? s.weight0 : 1,
    state: i === 1 && s.drain1 ? 'drain' : 'ready',
  }));
  if (s.extraBackend) backends.push({ address: '198.19.4.2', port: 8080, weight: 1, state: 'ready' });
  return { services: [{ ...LATENCY_SERVICE, algorithm: s.algorithm, backends }] };
}

export const INITIAL_STATE: State = { algorithm: 'maglev', weight0: 1, drain1: false, extraBackend: false };

type Change = { name: string; next: (s: State) => State; visible: (before: ServiceConfig, now: ServiceConfig) => boolean };

const flipped = (before: ServiceConfig, now: ServiceConfig) => now.active_table !== before.active_table;
const CHANGES: Change[] = [
  { name: 'reweight', next: (s) => ({ ...s, weight0: s.weight0 === 1 ? 3 : 1 }), visible: flipped },
  { name: 'drain', next: (s) => ({ ...s, drain1: !s.drain1 }), visible: flipped },
  { name: 'add-backend', next: (s) => ({ ...s, extraBackend: !s.extraBackend }), visible: flipped },
  {
    name: 'algorithm-switch',
    next: (s) => ({ ...s, algorithm: s.algorithm === 'maglev' ? 'round-robin' : 'maglev' }),
    visible: (b, n) => n.algorithm !== b.algorithm,
  },
];

/** Needs the bench bpffs (sluice-agent.ts prepareBpffs); leaves its pins behind for cleanBpffs. */
export async function measureReconcileLatency(samples: number): Promise<BenchRecord[]> {
  /* A small flow table: this data plane never sees a packet. */
  const dp = loadDataplane({ objectPath: OBJECT, pinDir: BENCH_PIN_DIR, reusePinned: false, maxEntries: { flows: 4096 } });
  const reconciler = new Reconciler(dp.maps, Reconciler.limitsOf(dp.maps, 1024));
  reconciler.apply(dataplaneConfigSchema.parse(latencyConfig(INITIAL_STATE)));
  const pinned = openPinnedMaps(BENCH_PIN_DIR);
  const key = serviceKeyOf(LATENCY_SERVICE);
  const read = () => pinned.maps.services.lookup(key);
  let state = INITIAL_STATE;
  const records: BenchRecord[] = [];
  try {
    for (const change of CHANGES) {
      const ms: number[] = [];
      let timeouts = 0;
      /* Each change goes there and back again. */
      for (let i = 0; i < samples * 2; i++) {
        const before = read();
        if (!before) throw new Error('the latency service is not in the pinned services map');
        state = change.next(state);
        const start = process.hrtime.bigint();
        reconciler.apply(dataplaneConfigSchema.parse(latencyConfig(state)));
        let seen = false;
        const deadline = Date.now() + POLL_DEADLINE_MS;
        while (Date.now() < deadline) {
          const now = read();
          if (now && change.visible(before, now)) {
            seen = true;
            break;
          }
        }
        const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
        /* Even steps make the change (reweight, drain, add, switch); odd ones undo it untimed. */
        if (i % 2 === 0) {
          if (seen) ms.push(elapsed);
          else timeouts++;
        } else {
          /*
           * A removed backend keeps its id until the agent has ended its flows (reconciler rule 6); this
           * data plane never sees a packet, so none are left: freed here, as the agent's end-flows job would.
           * Kept, they piled up on the added endpoint until it served more than 16 services (21 samples).
           */
          reconciler.freeRetired(reconciler.retiredBackendIds());
        }
        await sleep(5);
      }
      const sorted = [...ms].sort((a, b) => a - b);
      records.push(
        againstGoal(
          'control-plane',
          `control-plane/visible-after/reconciler-only/${change.name}`,
          'ms',
          GOAL_MS,
          ms,
          `zod parse + Reconciler.apply + polling the pinned services map on its own fd (in process, no API hop, store or audit: the Reconciler's share of the API figure); p90 ${round(percentile(sorted, 90), 3)} ms${timeouts ? `; ${timeouts} changes never became visible within ${POLL_DEADLINE_MS} ms` : ''}`,
        ),
      );
    }
  } finally {
    pinned.close();
    dp.close();
  }
  return records;
}
