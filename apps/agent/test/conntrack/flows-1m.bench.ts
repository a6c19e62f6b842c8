/*
 * Measures the GC sweep and listFlows with a million real flows (two
 * million entries) in a real flows map: how long each takes, and how long
 * the event loop stalls meanwhile (a 10 ms ticker's longest gap). Not part
 * of the suite (no timing asserts):
 *   node --import tsx apps/agent/test/conntrack/flows-1m.bench.ts [flows]
 */
import { ConntrackGc, listFlows, refreshFlowIndex, workerFor } from '../../src/conntrack/index.js';
import { SECOND_NS, STATE, idsOf, loadWithService, maxEventLoopGap } from './helpers.js';
import { writeBulkFlows } from '../../testing/bulk-flows.js';

const FLOWS = Number(process.argv[2] ?? 1_000_000);
const BACKENDS = 30;
const service = {
  address: '198.18.100.1',
  port: 80,
  protocol: 'tcp',
  backends: Array.from({ length: BACKENDS }, (_, i) => ({ address: `198.18.1.${i + 1}`, port: 8080 })),
};

const { dp, ids } = loadWithService({ services: [service] }, Math.ceil(FLOWS * 1.1));
const { service: serviceId, backends } = idsOf(ids);
const now = process.hrtime.bigint();
const states = [STATE.established, STATE.established, STATE.established, STATE.finWait, STATE.closed];

const t = performance.now();
writeBulkFlows(dp.maps.flows.fd, {
  count: FLOWS,
  vip: service.address,
  vipPort: 80,
  serviceId,
  backends: service.backends.map((b, i) => ({ ...b, id: backends[i]! })),
  stateOf: (i) => states[i % states.length]!,
  createdNs: now - 100n * SECOND_NS,
  lastSeenNs: now - SECOND_NS,
});
console.log(`wrote ${FLOWS} flows (${FLOWS * 2} entries) in ${(performance.now() - t).toFixed(0)} ms`);
const open = FLOWS - Math.floor(FLOWS / 5);
for (const id of backends) dp.maps.backendActive.update(id, BigInt(Math.round(open / BACKENDS)));

/* Work that runs on the worker: its duration, and the main thread's longest stall meanwhile. */
const offThread = async <T>(label: string, run: () => Promise<T>): Promise<T> => {
  const start = performance.now();
  const { result, maxGapMs } = await maxEventLoopGap(run);
  console.log(`${label}: ${(performance.now() - start).toFixed(0)} ms on the worker, event loop max stall ${maxGapMs.toFixed(1)} ms`);
  return result;
};

/* A synchronous call on the main thread: its duration is the stall. */
const time = <T>(label: string, run: () => T, repeat = 1): T => {
  const samples: number[] = [];
  let result: T;
  for (let i = 0; i < repeat; i++) {
    const start = performance.now();
    result = run();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)]!;
  console.log(`${label}: median ${median.toFixed(2)} ms, max ${samples.at(-1)!.toFixed(2)} ms (${repeat} runs)`);
  return result!;
};

time('page with no snapshot yet (serves an empty page, asks for a build)', () => listFlows(dp.maps, {}, undefined, 100));
await offThread('first index build', () => refreshFlowIndex(dp.maps));

const gc = new ConntrackGc(dp.maps, {});
const report = await offThread('sweep, nothing idle (also builds the index)', () => gc.sweep(now));
console.log(`  scanned ${report.scanned}, flows ${report.flows}, corrections ${report.corrections.length}, durationMs ${report.durationMs.toFixed(0)}`);

/* An agent nobody pages: its sweeps skip the page snapshot (and drop the old one). */
const unwatched = new ConntrackGc(dp.maps, { pagesWatchedMs: 0 });
for (let i = 0; i < 3; i++) {
  const quiet = await offThread('sweep, nothing idle, nobody paging (no index built)', () => unwatched.sweep(now));
  console.log(`  durationMs ${quiet.durationMs.toFixed(0)}`);
}
for (let i = 0; i < 2; i++) {
  listFlows(dp.maps, {}, undefined, 1);
  const watched = await offThread('sweep, nothing idle, pages asked for (builds the index)', () => gc.sweep(now));
  console.log(`  durationMs ${watched.durationMs.toFixed(0)}`);
}

await offThread('stale page, then the rebuild it asked for', async () => {
  time('  page of 100 finding the snapshot stale (walks it, rebuild on the worker)', () => listFlows(dp.maps, {}, undefined, 100, { maxIndexAgeMs: 0 }));
  await refreshFlowIndex(dp.maps);
});

const pages: [string, Parameters<typeof listFlows>[1]][] = [
  ['no filter', {}],
  ['backendId (1 in 30)', { backendId: backends[7] }],
  ['state closed (1 in 5)', { state: 'closed' }],
  ['client address (1 flow)', { clientAddress: '10.3.2.1' }],
  ['client + state, no match', { clientAddress: '10.3.2.1', state: 'syn-sent' }],
];
for (const [label, filter] of pages) {
  let cursor: string | undefined;
  const result = time(
    `page of 100, ${label}`,
    () => {
      const page = listFlows(dp.maps, filter, cursor, 100);
      cursor = page.nextCursor ?? undefined;
      return page;
    },
    50,
  );
  console.log(`  last page: ${result.items.length} items, scanned ${result.scanned}`);
}

await offThread('pages every 20 ms during a sweep', async () => {
  let worst = 0;
  let n = 0;
  const paging = setInterval(() => {
    const start = performance.now();
    listFlows(dp.maps, { backendId: backends[3] }, undefined, 100);
    worst = Math.max(worst, performance.now() - start);
    n++;
  }, 20);
  await gc.sweep(now);
  clearInterval(paging);
  console.log(`  ${n} pages, slowest ${worst.toFixed(2)} ms`);
});

await offThread('endFlows of one backend on the worker (1 in 30 flows)', () => workerFor(dp.maps).endFlows([backends[0]!]));

const idle = await offThread('sweep, every flow idle (deletes all)', () => gc.sweep(now + 1000n * SECOND_NS));
console.log(`  deleted ${idle.deletedFlows} flows; activeTaken total ${Object.values(idle.activeTaken).reduce((a, b) => a + b, 0)}`);
await offThread('sweep, empty table', () => gc.sweep(now));
dp.close();
