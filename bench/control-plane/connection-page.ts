/*
 * A page of the connection table out of a million flows, through the real
 * agent: 1M flows (one entry each, as the program writes
 * them) go straight into the agent's pinned flows map with raw
 * bpf_map_update_batch calls (encoding a million objects through the codecs
 * would take minutes); then, once the agent's snapshot index holds them
 * (built on its conntrack worker), connections.list over its unix socket is
 * timed: a page filtered by backend (1 flow in 30) and an unfiltered page,
 * each followed by cursor, median of several. The time is the caller's:
 * socket, tRPC, the agent's walk of the snapshot, fresh reads of the 100
 * flows from the kernel, names, JSON.
 */
import { openPinnedMaps, SluiceTcpState } from '@sluice/dataplane';
import { type BulkFlows, bulkFlowClient, writeBulkFlows } from '@sluice/agent/testing/bulk-flows';
import type { SocketClient } from '@sluice/agent/client';
import { type BenchRecord, againstGoal } from '../record.js';
import { BENCH_PIN_DIR } from '../sluice-agent.js';
import { percentile, round } from '../stats.js';
import { sleep } from '../processes.js';

const GOAL_MS = 50;
export const PAGE_FLOWS = 1_000_000;
/* LRU hash, one entry per flow: room to spare, so no entry is evicted while the million are written. */
export const PAGE_FLOW_TABLE_SIZE = Math.ceil(PAGE_FLOWS * 1.1);
const PAGE_BACKENDS = 30;
const SNAPSHOT_DEADLINE_MS = 90_000;
export const PAGE_SERVICE = {
  address: '198.18.101.1',
  port: 80,
  protocol: 'tcp' as const,
  algorithm: 'round-robin' as const,
  healthCheck: { type: 'none' as const },
  backends: Array.from({ length: PAGE_BACKENDS }, (_, i) => ({ address: `198.19.10.${i + 1}`, port: 8080 })),
};
const PAGE_SERVICE_NAME = `${PAGE_SERVICE.address}:${PAGE_SERVICE.port}/tcp`;

/** Established IPv4 TCP flows of the paging service, seen a second ago (CLOCK_MONOTONIC, the program's clock): the GC keeps them (900 s). */
function writeFlows(flowsFd: number, serviceId: number, backends: BulkFlows['backends'], count: number): void {
  const now = process.hrtime.bigint();
  writeBulkFlows(flowsFd, {
    count,
    vip: PAGE_SERVICE.address,
    vipPort: PAGE_SERVICE.port,
    serviceId,
    backends,
    stateOf: () => SluiceTcpState.TCP_STATE_ESTABLISHED,
    createdNs: now - 100_000_000_000n,
    lastSeenNs: now - 1_000_000_000n,
  });
}

type ListInput = Parameters<SocketClient['connections']['list']['query']>[0];

async function timePages(client: SocketClient, input: ListInput, samples: number): Promise<{ ms: number[]; items: number }> {
  const ms: number[] = [];
  let cursor: string | undefined;
  let items = 0;
  for (let i = 0; i < samples; i++) {
    const start = process.hrtime.bigint();
    const page = await client.connections.list.query({ ...input, cursor });
    ms.push(Number(process.hrtime.bigint() - start) / 1e6);
    items = page.items.length;
    if (items !== input.limit) throw new Error(`a page of ${input.limit} came back with ${items} flows`);
    cursor = page.nextCursor ?? undefined;
  }
  return { ms, items };
}

/** Needs a running agent (sluice-agent.ts) started with PAGE_SERVICE and a flow table of PAGE_FLOW_TABLE_SIZE; returns how long the write took (ms). */
export async function writePageFlows(client: SocketClient, log: (m: string) => void): Promise<number> {
  const svc = await client.services.get.query({ service: PAGE_SERVICE_NAME });
  const backends = (await client.backends.list.query({ service: PAGE_SERVICE_NAME })).map((b) => ({ address: b.address, port: b.port, id: b.dataplaneId! }));
  if (svc.dataplaneId === null || backends.some((b) => b.id === null)) throw new Error(`${PAGE_SERVICE_NAME} has no data-plane ids`);
  const pinned = openPinnedMaps(BENCH_PIN_DIR);
  let writeMs: number;
  try {
    const t = performance.now();
    writeFlows(pinned.maps.flows.fd, svc.dataplaneId, backends, PAGE_FLOWS);
    writeMs = performance.now() - t;
  } finally {
    pinned.close();
  }
  log(`wrote ${PAGE_FLOWS} flows into the agent's pinned flows map in ${Math.round(writeMs)} ms`);
  /*
   * The write blocked this event loop for seconds, longer than the agent's
   * HTTP keep-alive: let the closes of idle pooled sockets arrive before the
   * next request, or it may be written into a socket already shut (EPIPE).
   */
  await sleep(300);
  return writeMs;
}

/**
 * After writePageFlows. The first page finds no snapshot when nobody paged
 * before (the agent keeps one up only while pages are asked for): the agent
 * answers it once the one it builds is ready.
 */
export async function measureConnectionPage(client: SocketClient, samples: number, writeMs: number, log: (m: string) => void): Promise<BenchRecord[]> {
  const backends = (await client.backends.list.query({ service: PAGE_SERVICE_NAME })).map((b) => ({ address: b.address, port: b.port, id: b.dataplaneId! }));
  log('waiting for the first page, which waits for the snapshot of the million');

  /* The snapshot holds the million once the last flow written shows up (entries are written in order). */
  const snapshotStart = Date.now();
  const last = bulkFlowClient(PAGE_FLOWS - 1);
  for (;;) {
    /* A read, so one retry after a pooled socket the agent had already closed is safe. */
    const ask = () => client.connections.list.query({ client: last, limit: 1 });
    const page = await ask().catch(async (error: Error) => {
      if (!/EPIPE|ECONNRESET/.test(error.message)) throw error;
      await sleep(100);
      return ask();
    });
    if (page.items.length === 1) break;
    if (Date.now() - snapshotStart > SNAPSHOT_DEADLINE_MS)
      throw new Error(`the agent's flow snapshot did not show the million flows within ${SNAPSHOT_DEADLINE_MS / 1000} s`);
    await sleep(200);
  }
  const snapshotS = (Date.now() - snapshotStart) / 1000;
  log(`the first page came after ${snapshotS.toFixed(1)} s`);

  const backend = backends[7]!;
  const cases: [string, ListInput, string][] = [
    [
      'by-backend',
      { service: PAGE_SERVICE_NAME, backend: `${backend.address}:${backend.port}`, limit: 100 },
      `filtered by backend ${backend.address}:${backend.port} (1 flow in ${PAGE_BACKENDS})`,
    ],
    ['unfiltered', { limit: 100 }, 'no filter'],
  ];
  const records: BenchRecord[] = [];
  for (const [name, input, what] of cases) {
    await timePages(client, input, 2); /* warm-up: JIT on both sides */
    const { ms } = await timePages(client, input, samples);
    const sorted = [...ms].sort((a, b) => a - b);
    records.push(
      againstGoal(
        'control-plane',
        `control-plane/connection-page/100-of-1M-flows/${name}`,
        'ms',
        GOAL_MS,
        ms,
        `connections.list({limit: 100}) ${what}, over the running agent's unix socket (typed tRPC client), ${samples} consecutive pages by cursor; p90 ${round(percentile(sorted, 90), 3)} ms; ` +
          `${PAGE_FLOWS} flows (one entry each) written into its pinned flows map (${PAGE_FLOW_TABLE_SIZE} max) in ${Math.round(writeMs)} ms; the first page, with no snapshot before it (nobody had paged), came after ${snapshotS.toFixed(1)} s`,
      ),
    );
  }
  return records;
}
