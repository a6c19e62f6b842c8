/*
 * From an API call to the data plane using it, through the real agent: a
 * tRPC mutation over the agent's unix socket (the typed client the CLI
 * uses, with the admin token), while the bench polls the agent's pinned
 * services map on an fd of its own until the service shows the change: its
 * live lookup table flipped (reweight, drain, add backend) or its algorithm
 * changed. A new flow's choice reads exactly those fields, so the first
 * poll that sees them is the first moment a packet would. Included: socket,
 * tRPC and zod, the store transaction and audit row, the reconcile.
 *
 * The poll yields to the event loop between reads (setImmediate), so the
 * call's own I/O goes on meanwhile; the change usually shows before the
 * answer arrives, and the answer's round trip is noted beside it.
 *
 * The agent was started moments before, so its first changes run code V8
 * has not optimised yet (tRPC, zod, the reconciler): 1-2 ms more per change
 * over the first dozen or so. An agent in service has made its
 * changes long before; the goal is judged on changes after WARM_UP_PAIRS
 * untimed ones, and the first changes' p50 is given in the note beside it.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { openPinnedMaps } from '@sluice/dataplane';
import type { ServiceConfig } from '@sluice/dataplane';
import { serviceKeyOf } from '@sluice/agent/map-entries';
import type { SocketClient } from '@sluice/agent/client';
import { type BenchRecord, againstGoal } from '../record.js';
import { BENCH_PIN_DIR } from '../sluice-agent.js';
import { median, percentile, round } from '../stats.js';
import { sleep } from '../processes.js';
import { LATENCY_SERVICE } from './reconcile-latency.js';

const GOAL_MS = 5;
const POLL_DEADLINE_MS = 3_000;
/* Make-and-undo pairs before the timed ones: in this bench the times settle after 12-15 pairs. */
const WARM_UP_PAIRS = 20;
/* The first changes after the start whose p50 the note gives. */
const FIRST_CHANGES = 5;
export const LATENCY_SERVICE_NAME = `${LATENCY_SERVICE.address}:${LATENCY_SERVICE.port}/${LATENCY_SERVICE.protocol}`;

export interface ApiChange {
  name: string;
  /** The timed call (even steps) and the untimed call that undoes it (odd steps). */
  make(client: SocketClient): Promise<unknown>;
  undo(client: SocketClient): Promise<unknown>;
  visible: (before: ServiceConfig, now: ServiceConfig) => boolean;
}

const service = LATENCY_SERVICE_NAME;
export const flipped = (before: ServiceConfig, now: ServiceConfig) => now.active_table !== before.active_table;
const API_CHANGES: ApiChange[] = [
  {
    name: 'reweight',
    make: (c) => c.backends.setWeight.mutate({ service, endpoint: '198.19.1.2:8080', weight: 3 }),
    undo: (c) => c.backends.setWeight.mutate({ service, endpoint: '198.19.1.2:8080', weight: 1 }),
    visible: flipped,
  },
  {
    name: 'drain',
    make: (c) => c.backends.setState.mutate({ service, endpoint: '198.19.2.2:8080', state: 'drain' }),
    undo: (c) => c.backends.setState.mutate({ service, endpoint: '198.19.2.2:8080', state: 'ready' }),
    visible: flipped,
  },
  {
    name: 'add-backend',
    make: (c) => c.backends.add.mutate({ service, address: '198.19.4.2', port: 8080, weight: 1 }),
    undo: (c) => c.backends.remove.mutate({ service, endpoint: '198.19.4.2:8080', force: true }),
    visible: flipped,
  },
  {
    name: 'algorithm-switch',
    make: (c) => c.services.update.mutate({ service, algorithm: 'round-robin' }),
    undo: (c) => c.services.update.mutate({ service, algorithm: 'maglev' }),
    visible: (b, n) => n.algorithm !== b.algorithm,
  },
];

/** What timing one change over the API gave: visible-after and answered-after times (ms) of the timed steps, and visible-after of the first warm-up steps. */
export interface ChangeTimes {
  ms: number[];
  answers: number[];
  timeouts: number;
  firstMs: number[];
}

/**
 * Times `change` through the API: even steps make it (timed), odd ones undo
 * it (untimed); WARM_UP_PAIRS pairs first, of which the first FIRST_CHANGES
 * makes are kept apart. `read` looks the service up in the pinned services
 * map on the bench's own fd.
 */
export async function timeApiChange(
  client: SocketClient,
  read: () => ServiceConfig | undefined,
  change: ApiChange,
  samples: number,
  what: string,
): Promise<ChangeTimes> {
  const ms: number[] = [];
  const answers: number[] = [];
  const firstMs: number[] = [];
  let timeouts = 0;
  for (let i = -2 * WARM_UP_PAIRS; i < samples * 2; i++) {
    const timed = i >= 0 && i % 2 === 0;
    const first = i < 0 && i % 2 === 0 && firstMs.length < FIRST_CHANGES;
    const before = read();
    if (!before) throw new Error(`${what} is not in the agent's pinned services map`);
    const start = process.hrtime.bigint();
    let answeredAt: bigint | undefined;
    let failure: Error | undefined;
    const call = (i % 2 === 0 ? change.make : change.undo)(client).then(
      () => (answeredAt = process.hrtime.bigint()),
      (error: Error) => (failure = error),
    );
    let seenAt: bigint | undefined;
    const deadline = Date.now() + POLL_DEADLINE_MS;
    while (Date.now() < deadline && !failure) {
      const now = read();
      if (now && change.visible(before, now)) {
        seenAt = process.hrtime.bigint();
        break;
      }
      await yieldToLoop();
    }
    await call;
    if (failure) throw new Error(`${change.name}: the API call failed: ${failure.message}`);
    if (first && seenAt !== undefined) firstMs.push(Number(seenAt - start) / 1e6);
    if (timed) {
      if (seenAt !== undefined) ms.push(Number(seenAt - start) / 1e6);
      else timeouts++;
      if (answeredAt !== undefined) answers.push(Number(answeredAt - start) / 1e6);
    }
    await sleep(5);
  }
  return { ms, answers, timeouts, firstMs };
}

/** The record of one change's times against the 5 ms goal. */
export function visibleAfterRecord(name: string, times: ChangeTimes, how: string): BenchRecord {
  const { ms, answers, timeouts, firstMs } = times;
  const sorted = [...ms].sort((a, b) => a - b);
  return againstGoal(
    'control-plane',
    name,
    'ms',
    GOAL_MS,
    ms,
    `${how}; tRPC mutation over the running agent's unix socket (typed client, admin token) until the pinned services map shows it, polled on the bench's own fd; ` +
      `p50 of ${ms.length} after ${WARM_UP_PAIRS} untimed changes and their undoing, p90 ${round(percentile(sorted, 90), 3)} ms; the call's answer arrived after ${round(median(answers), 3)} ms (p50); ` +
      `the first ${firstMs.length} changes of this kind, the agent freshly started: p50 ${round(median(firstMs), 3)} ms` +
      (timeouts ? `; ${timeouts} changes never became visible within ${POLL_DEADLINE_MS} ms` : ''),
  );
}

/** Needs a running agent (sluice-agent.ts) whose store holds LATENCY_SERVICE with maglev and backends 198.19.{1,2,3}.2:8080. */
export async function measureApiLatency(client: SocketClient, samples: number): Promise<BenchRecord[]> {
  const pinned = openPinnedMaps(BENCH_PIN_DIR);
  const key = serviceKeyOf(LATENCY_SERVICE);
  const read = () => pinned.maps.services.lookup(key);
  const records: BenchRecord[] = [];
  try {
    for (const change of API_CHANGES) {
      const times = await timeApiChange(client, read, change, samples, LATENCY_SERVICE_NAME);
      records.push(visibleAfterRecord(`control-plane/visible-after/${change.name}`, times, `1 service (maglev, 3 backends) configured`));
    }
  } finally {
    pinned.close();
  }
  return records;
}
