/*
 * Flow sync, from a new flow's first packet on the master to its entry in
 * the standby's table: two real data planes in process (maps only, nothing
 * attached), each with its agent's FlowSync over loopback TCP. The master's
 * program records a SYN (BPF_PROG_TEST_RUN); the bench then looks the flow up
 * in the standby's half-open table until it is there. Until that moment a
 * master's power cut breaks the connection on a round-robin service (the
 * standby would choose anew), so this is the window a takeover can lose.
 *
 * The reference, in the same rounds: the same sender draining the ring on a
 * 5 ms timer, as it did before the program woke it. The SYNs come from
 * another thread (syn-injector.ts) at random moments 3-13 ms apart, so they
 * fall anywhere in the timer's period.
 */
import { setImmediate as yieldToIo } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { dataplaneConfigSchema } from '@sluice/api';
import { FlowSync } from '@sluice/agent/flow-sync';
import { Reconciler } from '@sluice/agent/reconciler';
import { type Dataplane, FlowEventReader, loadDataplane } from '@sluice/dataplane';
import { flowKeyOf } from '@sluice/dataplane/test-packets';
import { type BenchRecord, notMeasured } from '../record.js';
import { median, percentile, round, spread } from '../stats.js';
import { sleep } from '../processes.js';
import type { InjectorData, Injected } from './syn-injector.js';

const OBJECT = fileURLToPath(new URL('../../bpf/build/sluice.bpf.o', import.meta.url));
const NAME = 'control-plane/flow-sync/syn-to-standby-entry';
const TIMER_MS = 5;
/* Loopback only; outside the flow-sync tests' ports (47000-48500), and the bench never runs beside them. */
const MASTER_PORT = 46_900;
const STANDBY_PORT = 46_901;
const LOOPBACK = '127.0.0.1';
const KEY = Buffer.alloc(40, 'b');
const CLIENT = '198.18.0.2';
const SERVICE = { address: '198.18.100.1', port: 80, protocol: 'tcp' as const };
const BACKENDS = ['198.19.1.2', '198.19.2.2', '198.19.3.2'].map((address) => ({ address, port: 8080 }));
const SAMPLES_PER_ROUND = 40;
const SEEN_DEADLINE_MS = 2_000;

type Mode = 'woken' | 'timer';

interface Node {
  dp: Dataplane;
  sync: FlowSync;
}

/** `closers` gets what to close, in the order opened, as soon as each is open. */
async function startNode(listen: number, peer: number, mode: () => Mode, closers: (() => void)[]): Promise<Node> {
  const dp = loadDataplane({ objectPath: OBJECT, maxEntries: { flows: 16_384, half_open_flows: 4_096 }, tunables: { flow_events_on: 1n } });
  closers.push(() => dp.close());
  const reconciler = new Reconciler(dp.maps, Reconciler.limitsOf(dp.maps, 1024));
  reconciler.apply(dataplaneConfigSchema.parse({ services: [{ ...SERVICE, algorithm: 'round-robin', backends: BACKENDS }] }));
  const reader = new FlowEventReader(dp.flowEventsFd());
  closers.push(() => reader.close());
  /* The timer mode's wait ends after TIMER_MS whatever the ring holds; the loop drains after every wait. */
  const events = {
    drain: () => reader.drain(),
    wait: (timeoutMs: number) => (mode() === 'woken' ? reader.wait(timeoutMs) : sleep(Math.min(timeoutMs, TIMER_MS)).then(() => false)),
  };
  const sync = await FlowSync.start({
    listen: { address: LOOPBACK, port: listen },
    peer: { address: LOOPBACK, port: peer },
    key: KEY,
    maps: dp.maps,
    placement: () => reconciler.ids(),
    events,
    isMaster: () => listen === MASTER_PORT,
    vipClaim: () => ({ holds: listen === MASTER_PORT, heldForMs: 0, role: listen === MASTER_PORT ? 'master' : 'backup' }),
    log: () => {},
  });
  closers.push(() => sync.stop());
  return { dp, sync };
}

async function until(what: string, probe: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within 10 s`);
    await sleep(10);
  }
}

const elapsedMs = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e6;

/** ms from the SYN on the master to its entry on the standby, per sample; null: never seen within SEEN_DEADLINE_MS. */
async function syncTimes(injector: Worker, standby: Node, ports: { next: number }, count: number): Promise<(number | null)[]> {
  const times: (number | null)[] = [];
  for (let i = 0; i < count; i++) {
    const port = ports.next++;
    /* The SYN syn-injector.ts sends from this port. */
    const key = flowKeyOf({ src: CLIENT, dst: SERVICE.address, srcPort: port, dstPort: SERVICE.port, protocol: 'tcp' });
    const { at } = await new Promise<Injected>((resolve, reject) => {
      injector.once('message', resolve);
      injector.once('error', reject);
      injector.postMessage(port);
    });
    injector.removeAllListeners('error');
    let seen: number | null = null;
    while (elapsedMs(at) < SEEN_DEADLINE_MS) {
      if (standby.dp.maps.halfOpenFlows.lookup(key)) {
        seen = elapsedMs(at);
        break;
      }
      /* The standby's receiver and the master's sender run in this thread: let their sockets move. */
      await yieldToIo();
    }
    times.push(seen);
  }
  return times;
}

const p50 = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

export async function measureFlowSyncLatency(rounds: number, log: (m: string) => void): Promise<BenchRecord[]> {
  let mode: Mode = 'woken';
  const closers: (() => void)[] = [];
  try {
    const master = await startNode(MASTER_PORT, STANDBY_PORT, () => mode, closers);
    const standby = await startNode(STANDBY_PORT, MASTER_PORT, () => mode, closers);
    await until('the standby in sync with the master', () => standby.sync.state() === 'in-sync');
    const injector = new Worker(new URL('./syn-injector-entry.mjs', import.meta.url), {
      workerData: { programFd: master.dp.programFd, client: CLIENT, service: SERVICE } satisfies InjectorData,
    });
    closers.push(() => void injector.terminate());
    const ports = { next: 20_000 };
    const all: Record<Mode, number[]> = { woken: [], timer: [] };
    const roundP50: Record<Mode, number[]> = { woken: [], timer: [] };
    let missed = 0;
    for (let r = 0; r < rounds; r++) {
      for (const m of ['woken', 'timer'] as const) {
        mode = m;
        /* The other mode's pending wait ends within its tick. */
        await sleep(50);
        const times = await syncTimes(injector, standby, ports, SAMPLES_PER_ROUND);
        const seen = times.filter((t): t is number => t !== null);
        missed += times.length - seen.length;
        all[m].push(...seen);
        roundP50[m].push(p50(seen));
      }
      log(
        `flow sync round ${r + 1}/${rounds}: p50 ${round(roundP50.woken.at(-1)!, 3)} ms woken, ${round(roundP50.timer.at(-1)!, 3)} ms on a ${TIMER_MS} ms timer`,
      );
    }
    const ratios = roundP50.woken.map((w, i) => w / roundP50.timer[i]!);
    const sortedWoken = [...all.woken].sort((a, b) => a - b);
    const sortedTimer = [...all.timer].sort((a, b) => a - b);
    return [
      {
        section: 'control-plane',
        name: NAME,
        value: round(median(roundP50.woken), 3),
        unit: 'ms',
        referenceName: `the same sender draining on a ${TIMER_MS} ms timer, same rounds`,
        referenceValue: round(median(roundP50.timer), 3),
        ratio: round(median(ratios), 3),
        runs: rounds,
        spread: round(spread(roundP50.woken), 3),
        note:
          `a SYN through the master's program (test run, from another thread) until the flow is in the standby's half-open table (looked up between turns of the event loop), ` +
          `two data planes and their FlowSync in one process over loopback TCP, ${rounds} rounds of ${SAMPLES_PER_ROUND} SYNs per mode, 3-13 ms apart; ` +
          `p50 of each round's p50; p99 ${round(percentile(sortedWoken, 99), 3)} ms woken, ${round(percentile(sortedTimer, 99), 3)} ms on the timer` +
          (missed ? `; ${missed} SYNs never reached the standby within ${SEEN_DEADLINE_MS} ms` : ''),
      },
    ];
  } catch (error) {
    return [notMeasured('control-plane', NAME, 'ms', `failed: ${(error as Error).message}`)];
  } finally {
    for (const close of closers.reverse()) close();
  }
}
