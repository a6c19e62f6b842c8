/*
 * A page of the connection table, filtered on the server, resumable by an
 * opaque cursor. Pages walk the sorted snapshot (flow-index.ts); only the
 * flows returned are read fresh from the kernel, so a page costs the same
 * with a thousand flows or a million.
 *
 * A flow opened after the snapshot shows up once the snapshot is rebuilt:
 * by the GC's sweep, or when a page finds it older than maxIndexAgeMs. A
 * page never waits for a big rebuild (seconds at a million flows): it walks
 * the snapshot at hand while the conntrack worker builds the next one.
 *
 * The snapshot is kept up only while someone pages: the GC's sweeps build
 * it while a page was asked for within PAGES_WATCHED_MS, and drop it after
 * (connectionsPaged). The first page after that finds none, and its caller
 * waits for one (awaitFlowIndex) instead of showing an empty table.
 */
import { addressToBytes } from '@sluice/dataplane';
import type { ConntrackMaps } from './conntrack-maps.js';
import { workerFor } from './worker/conntrack-worker.js';
import { Endpoints } from './endpoints.js';
import { type FlowState, IPPROTO_TCP, IPPROTO_UDP, KEY, KEY_SIZE, TCP_STATE, VALUE, addressAt, flowState, u32, u64 } from './flow-bytes.js';
import { type FlowIndex, currentFlowIndex, publishFlowIndex } from './flow-index.js';
import { KEY_WORDS, wordsOf } from './key-words.js';
import { buildFlowIndex } from './scan.js';

export interface FlowFilter {
  serviceId?: number;
  backendId?: number;
  /** Any of these (service, backend) pairs: one endpoint's backends in each service it serves. */
  backendIn?: readonly { serviceId: number; backendId: number }[];
  clientAddress?: string;
  protocol?: 'tcp' | 'udp';
  state?: FlowState;
  /** Leave out closed TCP flows (entries that wait out their timeout after the last FIN or RST). */
  hideClosed?: boolean;
}

export interface FlowView {
  clientAddress: string;
  clientPort: number;
  vipAddress: string;
  vipPort: number;
  /** '' when the backend id no longer names a backend of this service. */
  backendAddress: string;
  backendPort: number;
  protocol: 'tcp' | 'udp';
  state: FlowState;
  ageMs: number;
  idleMs: number;
  packets: number;
  bytes: number;
  replyPackets: number;
  replyBytes: number;
  serviceId: number;
  backendId: number;
}

export interface FlowPage {
  items: FlowView[];
  nextCursor: string | null;
  /** Snapshot entries examined. */
  scanned: number;
  /**
   * How old the snapshot walked is (ms). null: there is none yet, so the
   * page is empty; the first one is being built, try again shortly.
   */
  indexAgeMs: number | null;
  /** Every flow of the snapshot walked (the whole table, not the filter), by state; null with no snapshot. */
  stateCounts: Readonly<Record<FlowState, number>> | null;
}

export interface ListFlowsOptions {
  /**
   * A big table's snapshot older than this is rebuilt on the worker while
   * this page walks the old one (a small table is read for every page). Default: 2 s,
   * or ten times its build time if longer (a million flows take seconds
   * to read, and the GC rebuilds it every sweep anyway).
   */
  maxIndexAgeMs?: number;
  /** CLOCK_MONOTONIC now, for ageMs/idleMs. */
  nowNs?: bigint;
}

export const MAX_FLOW_PAGE = 1000;
const MIN_INDEX_AGE_MS = 2000;
/* How long after a page the sweeps keep building the snapshot: an operator reading pages, filtering, refreshing. */
export const PAGES_WATCHED_MS = 120_000;
/* Per set of maps: when a page was last asked for (performance.now()). */
const pagedAt = new WeakMap<ConntrackMaps, number>();
/*
 * A table of up to this many entries (read in one kernel batch, sorted in
 * a few ms) is read afresh for every page, so its pages show a flow opened a
 * moment ago; a bigger one is rebuilt on the worker when its snapshot is old.
 */
const SYNC_REBUILD_MAX_ENTRIES = 8192;
const STATE_CODES: Record<FlowState, number> = {
  none: TCP_STATE.TCP_STATE_NONE,
  'syn-sent': TCP_STATE.TCP_STATE_SYN_SENT,
  established: TCP_STATE.TCP_STATE_ESTABLISHED,
  'fin-wait': TCP_STATE.TCP_STATE_FIN_WAIT,
  closed: TCP_STATE.TCP_STATE_CLOSED,
};

export class CursorError extends Error {
  override readonly name = 'CursorError';
}

export function encodeCursor(key: Buffer): string {
  return key.toString('base64url');
}

export function decodeCursor(cursor: string): Buffer {
  const key = Buffer.from(cursor, 'base64url');
  if (key.length !== KEY_SIZE || encodeCursor(key) !== cursor)
    throw new CursorError(`cursor ${JSON.stringify(cursor.slice(0, 80))} is not one this agent issued`);
  return key;
}

/**
 * Snapshot columns that must match (the fresh entry is checked again). One
 * flat function, no closures per check: a filter that matches nothing walks
 * all million entries in a few milliseconds.
 */
function compileFilter(filter: FlowFilter): (index: FlowIndex, i: number) => boolean {
  const serviceId = filter.serviceId ?? -1;
  const backendId = filter.backendId ?? -1;
  const protocol = filter.protocol === undefined ? -1 : filter.protocol === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP;
  const pairs = pairSetOf(filter);
  const state = filter.state;
  const stateProtocol = state === undefined ? -1 : state === 'none' ? IPPROTO_UDP : IPPROTO_TCP;
  const stateCode = state === undefined ? -1 : STATE_CODES[state];
  const hideClosed = filter.hideClosed === true;
  let client: Uint32Array | undefined;
  let clientFamily = -1;
  if (filter.clientAddress !== undefined) {
    const { family, bytes } = addressToBytes(filter.clientAddress);
    client = wordsOf(Buffer.from(bytes));
    clientFamily = family;
  }
  const srcWord = KEY.src / 4;
  return (index, i) => {
    if (serviceId >= 0 && index.serviceIds[i] !== serviceId) return false;
    if (backendId >= 0 && index.backendIds[i] !== backendId) return false;
    if (pairs && !pairs.has(index.serviceIds[i]! * 0x1_0000_0000 + index.backendIds[i]!)) return false;
    const at = i * KEY_SIZE;
    if (protocol >= 0 && index.keys[at + KEY.protocol] !== protocol) return false;
    if (stateProtocol === IPPROTO_TCP) {
      if (index.keys[at + KEY.protocol] !== IPPROTO_TCP) return false;
      const s = index.tcpStates[i]!;
      if (s !== stateCode && !(stateCode === TCP_STATE.TCP_STATE_ESTABLISHED && s === TCP_STATE.TCP_STATE_NONE)) return false;
    } else if (stateProtocol === IPPROTO_UDP && index.keys[at + KEY.protocol] === IPPROTO_TCP) return false;
    if (hideClosed && index.tcpStates[i] === TCP_STATE.TCP_STATE_CLOSED && index.keys[at + KEY.protocol] === IPPROTO_TCP) return false;
    if (client) {
      const w = i * KEY_WORDS + srcWord;
      const words = index.words;
      if (words[w] !== client[0] || words[w + 1] !== client[1] || words[w + 2] !== client[2] || words[w + 3] !== client[3]) return false;
      if (index.keys[at + KEY.family] !== clientFamily) return false;
    }
    return true;
  };
}

/* backendIn as numbers (service id in the high 32 bits): one Set lookup per snapshot entry. */
function pairSetOf(filter: FlowFilter): Set<number> | undefined {
  return filter.backendIn && new Set(filter.backendIn.map((p) => p.serviceId * 0x1_0000_0000 + p.backendId));
}

/* Per set of maps: the snapshot that was current when the table last proved too big to rebuild on the spot. */
const tooBigWith = new WeakMap<ConntrackMaps, FlowIndex | null>();

function indexFor(maps: ConntrackMaps, maxAgeMs: number | undefined): FlowIndex | undefined {
  const index = currentFlowIndex(maps);
  const limit = maxAgeMs ?? Math.max(MIN_INDEX_AGE_MS, (index?.buildMs ?? 0) * 10);
  /* A snapshot holds about half the table's entries (the forward ones). */
  const small = !index || index.count * 2 <= SYNC_REBUILD_MAX_ENTRIES;
  /* A small table is read afresh for every page (a few ms): it shows a flow opened a moment ago. */
  if (index && !small && performance.now() - index.builtAt <= limit) return index;
  if (small && tooBigWith.get(maps) !== (index ?? null)) {
    const fresh = buildFlowIndex(maps, SYNC_REBUILD_MAX_ENTRIES);
    if (fresh) {
      publishFlowIndex(maps, fresh);
      return fresh;
    }
    tooBigWith.set(maps, index ?? null);
  }
  workerFor(maps).requestRefresh();
  return index;
}

/**
 * A snapshot from a scan that starts after this call, built on the worker
 * and published for listFlows: for a caller that just changed the table
 * and wants its next page to show it.
 */
export async function refreshFlowIndex(maps: ConntrackMaps): Promise<void> {
  await workerFor(maps).refreshIndex();
}

/** A page of these maps was asked for within `withinMs`: the GC's sweeps then keep the snapshot up. */
export function connectionsPaged(maps: ConntrackMaps, withinMs = PAGES_WATCHED_MS): boolean {
  const at = pagedAt.get(maps);
  return at !== undefined && performance.now() - at <= withinMs;
}

/**
 * Resolves true once there is a snapshot to page (at once if there is one;
 * else the next one the worker builds: about a second at a million flows),
 * false if none came within `timeoutMs`.
 */
export async function awaitFlowIndex(maps: ConntrackMaps, timeoutMs: number): Promise<boolean> {
  if (currentFlowIndex(maps)) return true;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    /* A failed build is the next page's to retry: this one says "counting". */
    return await Promise.race([
      workerFor(maps)
        .nextIndex()
        .then(
          () => true,
          () => false,
        ),
      timedOut,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function listFlows(maps: ConntrackMaps, filter: FlowFilter, cursor: string | undefined, limit: number, options: ListFlowsOptions = {}): FlowPage {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_FLOW_PAGE) throw new RangeError(`limit must be 1 to ${MAX_FLOW_PAGE}, got ${limit}`);
  const after = cursor === undefined ? undefined : decodeCursor(cursor);
  pagedAt.set(maps, performance.now());
  const index = indexFor(maps, options.maxIndexAgeMs);
  if (!index) return { items: [], nextCursor: null, scanned: 0, indexAgeMs: null, stateCounts: null };
  const matches = compileFilter(filter);
  const now = Number(options.nowNs ?? process.hrtime.bigint());
  const endpoints = Endpoints.read(maps);
  const items: FlowView[] = [];
  let i = after ? index.positionAfter(after) : 0;
  let scanned = 0;
  let lastKey: Buffer | undefined;
  for (; i < index.count && items.length < limit; i++) {
    scanned++;
    if (!matches(index, i)) continue;
    const key = index.key(i);
    const view = freshView(maps, endpoints, key, now);
    if (!view || !viewMatches(view, filter)) continue;
    items.push(view);
    lastKey = key;
  }
  /* One more match after a full page means there is a next page (take limit + 1). */
  let more = false;
  if (items.length === limit) {
    for (; i < index.count; i++) {
      scanned++;
      if (matches(index, i)) {
        more = true;
        break;
      }
    }
  }
  return {
    items,
    nextCursor: more && lastKey ? encodeCursor(lastKey) : null,
    scanned,
    indexAgeMs: performance.now() - index.builtAt,
    stateCounts: index.stateCounts(),
  };
}

function viewMatches(view: FlowView, filter: FlowFilter): boolean {
  return (
    (filter.serviceId === undefined || view.serviceId === filter.serviceId) &&
    (filter.backendId === undefined || view.backendId === filter.backendId) &&
    (filter.backendIn === undefined || filter.backendIn.some((p) => p.serviceId === view.serviceId && p.backendId === view.backendId)) &&
    (filter.state === undefined || view.state === filter.state) &&
    !(filter.hideClosed && view.state === 'closed')
  );
}

/** The flow as it is now, or undefined if it left since the snapshot. */
function freshView(maps: ConntrackMaps, endpoints: Endpoints, key: Buffer, now: number): FlowView | undefined {
  const value = maps.flows.lookupBytes(Buffer.from(key)) ?? maps.halfOpenFlows.lookupBytes(Buffer.from(key));
  if (!value) return undefined;
  const serviceId = u32(value, VALUE.serviceId);
  const backendId = u32(value, VALUE.backendId);
  const protocol = key[KEY.protocol]!;
  const family = key[KEY.family]!;
  const backend = endpoints.backendOf(backendId, serviceId);
  const lastSeen = u64(value, VALUE.lastSeenNs);
  return {
    clientAddress: addressAt(key, KEY.src, family),
    clientPort: key.readUInt16BE(KEY.srcPort),
    vipAddress: addressAt(key, KEY.dst, family),
    vipPort: key.readUInt16BE(KEY.dstPort),
    backendAddress: backend ? addressAt(backend.addr, 0, backend.family) : '',
    backendPort: backend ? backend.port : 0,
    protocol: protocol === IPPROTO_TCP ? 'tcp' : 'udp',
    state: flowState(protocol, u32(value, VALUE.tcpState)),
    ageMs: Math.max(0, (now - u64(value, VALUE.createdNs)) / 1e6),
    idleMs: Math.max(0, (now - lastSeen) / 1e6),
    packets: u64(value, VALUE.packets),
    bytes: u64(value, VALUE.bytes),
    replyPackets: u64(value, VALUE.replyPackets),
    replyBytes: u64(value, VALUE.replyBytes),
    serviceId,
    backendId,
  };
}
