/*
 * Shared by the conntrack tests: a real data plane (maps only, nothing
 * attached) with a service and backends written by the real reconciler,
 * and flow entries written as the program writes them.
 */
import { after, before, beforeEach } from 'node:test';
import { type DataplaneConfig, dataplaneConfigSchema } from '@sluice/api';
import { type Dataplane, type FlowKey, type FlowValue, SluiceFlowFlags, SluiceTcpState, addressToBytes, loadDataplane } from '@sluice/dataplane';
import { Reconciler } from '../../src/reconcile/reconciler.js';
import { SMALL_MAPS, objectPath } from '@sluice/dataplane/test-helpers';
import { writeBulkFlows } from '../../testing/bulk-flows.js';

export const SECOND_NS = 1_000_000_000n;

export function loadWithService(config: unknown, flows = 65536): { dp: Dataplane; reconciler: Reconciler; ids: ReturnType<Reconciler['ids']> } {
  const dp = loadDataplane({ objectPath: objectPath(), maxEntries: { ...SMALL_MAPS, flows } });
  const reconciler = new Reconciler(dp.maps, Reconciler.limitsOf(dp.maps, 1024));
  reconciler.apply(dataplaneConfigSchema.parse(config) as DataplaneConfig);
  return { dp, reconciler, ids: reconciler.ids() };
}

export const SERVICE = {
  address: '198.18.100.1',
  port: 80,
  protocol: 'tcp',
  algorithm: 'round-robin',
  backends: [
    { address: '198.18.1.1', port: 8080 },
    { address: '198.18.1.2', port: 8080 },
    { address: '198.18.1.3', port: 8080 },
  ],
} as const;

export const STATE = {
  none: SluiceTcpState.TCP_STATE_NONE,
  synSent: SluiceTcpState.TCP_STATE_SYN_SENT,
  established: SluiceTcpState.TCP_STATE_ESTABLISHED,
  finWait: SluiceTcpState.TCP_STATE_FIN_WAIT,
  closed: SluiceTcpState.TCP_STATE_CLOSED,
} as const;

export interface FlowSpec {
  client: string;
  clientPort: number;
  vip: string;
  vipPort: number;
  protocol: 'tcp' | 'udp';
  backend: string;
  backendPort: number;
  serviceId: number;
  backendId: number;
  tcpState: number;
  createdNs: bigint;
  /** Last packet from the client. */
  forwardLastSeenNs: bigint;
  /** Last reply from the backend; null: none yet. The entry holds the later of the two. */
  replyLastSeenNs: bigint | null;
  packets?: bigint;
  /** enum sluice_forwarding_mode the flow was steered with (default nat). */
  mode?: number;
}

export function keyOf(spec: FlowSpec): FlowKey {
  const client = addressToBytes(spec.client);
  return {
    src: client.bytes,
    dst: addressToBytes(spec.vip).bytes,
    src_port: spec.clientPort,
    dst_port: spec.vipPort,
    protocol: spec.protocol === 'tcp' ? 6 : 17,
    family: client.family,
  };
}

/** The flow's entry, as start_flow() writes it and packets in both directions update it. */
export function flowEntries(spec: FlowSpec): [FlowKey, FlowValue][] {
  /* No next hop toward the client cached yet: the program fills it on the first reply. */
  const noNextHop = {
    reply_next_hop_checked_ns: 0n,
    reply_next_hop_ifindex: 0,
    reply_next_hop_max_len: 0,
    reply_next_hop_macs: new Uint8Array(12),
  };
  /* The sequence number of the opening SYN matters only to the program (a retried SYN). */
  const noSyn = { syn_seq: 0 };
  const replied = spec.replyLastSeenNs !== null;
  const lastSeen = replied && spec.replyLastSeenNs! > spec.forwardLastSeenNs ? spec.replyLastSeenNs! : spec.forwardLastSeenNs;
  const packets = spec.packets ?? 3n;
  return [
    [
      keyOf(spec),
      {
        created_ns: spec.createdNs,
        last_seen_ns: lastSeen,
        packets,
        bytes: packets * 100n,
        reply_packets: replied ? 2n : 0n,
        reply_bytes: replied ? 200n : 0n,
        backend_id: spec.backendId,
        service_id: spec.serviceId,
        tcp_state: spec.tcpState,
        flags: (spec.mode ?? 0) << SluiceFlowFlags.FLOW_F_MODE_SHIFT,
        ...noNextHop,
        ...noSyn,
      },
    ],
  ];
}

export function writeFlows(dp: Dataplane, specs: FlowSpec[]): void {
  const entries = specs.flatMap(flowEntries);
  for (let i = 0; i < entries.length; i += 65536) dp.maps.flows.updateMany(entries.slice(i, i + 65536));
}

export function idsOf(ids: ReturnType<Reconciler['ids']>, name = '198.18.100.1:80/tcp'): { service: number; backends: number[] } {
  const service = ids.get(name);
  if (!service) throw new Error(`no service ${name}`);
  return { service: service.id, backends: [...service.backends.values()] };
}

export function activeOf(dp: Dataplane, backendId: number): number {
  return Number(dp.maps.backendActive.lookup(backendId) ?? 0n);
}

/** Runs `during` while a 10 ms ticker measures the event loop's longest gap between ticks. */
/**
 * Runs `during` and counts how often a 10 ms timer fired meanwhile. Work done
 * synchronously on this thread lets no timer fire until it returns (0 ticks);
 * work on the worker thread leaves the event loop free to tick.
 */
export async function eventLoopTicksDuring<T>(during: () => Promise<T>, tickMs = 10): Promise<{ result: T; ticks: number }> {
  let ticks = 0;
  const ticker = setInterval(() => ticks++, tickMs);
  try {
    const result = await during();
    return { result, ticks };
  } finally {
    clearInterval(ticker);
  }
}

/** The longest gap between 10 ms timer ticks while `during` runs (flows-1m.bench.ts reports it). */
export async function maxEventLoopGap<T>(during: () => Promise<T>, tickMs = 10): Promise<{ result: T; maxGapMs: number }> {
  let last = performance.now();
  let maxGapMs = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last);
    last = now;
  }, tickMs);
  try {
    const result = await during();
    maxGapMs = Math.max(maxGapMs, performance.now() - last);
    return { result, maxGapMs };
  } finally {
    clearInterval(ticker);
  }
}

export interface LoadedService {
  dp: Dataplane;
  ids: { service: number; backends: number[] };
}

/**
 * For a describe block: a data plane with SERVICE, loaded before its tests
 * and closed after them; `use` receives it. With emptyEachTest, every test
 * starts with empty flow tables and zero active counts.
 */
export function withServiceDataplane(use: (loaded: LoadedService) => void, { emptyEachTest = false } = {}): void {
  let loaded: LoadedService | undefined;
  before(() => {
    const { dp, ids } = loadWithService({ services: [SERVICE] });
    loaded = { dp, ids: idsOf(ids) };
    use(loaded);
  });
  after(() => loaded?.dp.close());
  if (!emptyEachTest) return;
  beforeEach(() => {
    const { dp, ids } = loaded!;
    for (const key of [...dp.maps.flows.keys()]) dp.maps.flows.delete(key);
    for (const key of [...dp.maps.halfOpenFlows.keys()]) dp.maps.halfOpenFlows.delete(key);
    for (const id of ids.backends) dp.maps.backendActive.update(id, 0n);
  });
}

/** `count` established flows of SERVICE over its backends in turn, opened 100 s before `nowNs` and seen 1 s before it. */
export function writeEstablishedFlows(dp: Dataplane, ids: { service: number; backends: number[] }, count: number, nowNs: bigint): void {
  writeBulkFlows(dp.maps.flows.fd, {
    count,
    vip: SERVICE.address,
    vipPort: SERVICE.port,
    serviceId: ids.service,
    backends: SERVICE.backends.map((b, i) => ({ ...b, id: ids.backends[i]! })),
    stateOf: () => STATE.established,
    createdNs: nowNs - 100n * SECOND_NS,
    lastSeenNs: nowNs - SECOND_NS,
  });
}
