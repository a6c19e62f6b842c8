/*
 * One GC pass over the flow table and the half-open table: delete idle flows, take deleted open
 * flows off backend_active, count the deleted ones whose handshake never
 * completed (handshake-failures.ts), recount backend_active, and build a fresh
 * index for listFlows when someone pages the connection table (the caller
 * publishes it: the sweep runs on the conntrack worker thread). Building
 * that index (collecting and sorting every key) is about 40 % of a sweep of a
 * million flows, so an agent whose connections nobody lists skips it.
 *
 * Cost: one batched read of the table, plus one lookup-and-delete per flow
 * found idle (take-flow.ts: it stays deleted only if no packet touched it
 * since the read; a client that reuses its port must not lose its new flow).
 */
import type { BpfMap } from '@sluice/dataplane';
import type { ConntrackMaps, FlowTableName } from './conntrack-maps.js';
import { type ActiveCorrection, type ActiveRecounter, decrementActive, readActive } from './active-counts.js';
import { Endpoints } from './endpoints.js';
import { FLOW_STATES, type FlowState, KEY, TCP_STATE, VALUE, flowState, u32, u64 } from './flow-bytes.js';
import { type FlowIndex, FlowIndexBuilder } from './flow-index.js';
import { KEY_WORDS, KeyList } from './key-words.js';
import { lookupInto } from './raw-flow-ops.js';
import { scanFlows } from './scan.js';
import { type HandshakeFailureCounts, countHandshakeFailure } from './handshake-failures.js';
import { type TakeHooks, takeIfStillDoomed } from './take-flow.js';
import type { TimeoutTable } from './timeouts.js';

export interface SweepReport {
  /** Entries read. */
  scanned: number;
  /** Flows seen (one entry each). */
  flows: number;
  deletedFlows: number;
  deletedByState: Record<FlowState, number>;
  /** Idle at the read, but a packet came before the delete: kept. */
  revived: number;
  /** Open flows taken off backend_active for deleted flows, by backend id. */
  activeTaken: Record<number, number>;
  /** Recount fixes (drift from LRU evictions and races). */
  corrections: ActiveCorrection[];
  /** Failed handshakes among the deleted flows, by backend id (handshake-failures.ts says what each means). */
  handshakeFailures: HandshakeFailureCounts;
  durationMs: number;
  /**
   * The flows this pass deleted, for flow sync's ends (a peer drops them
   * too): struct flow_key bytes back to back, with each one's ids. At most
   * MAX_ENDED_REPORTED a pass; the rest the peer's own GC ages out.
   */
  ended: { keys: Uint8Array; backendIds: number[]; serviceIds: number[] };
}

/* 16384 keys x 40 bytes: 640 KB cloned from the worker per pass at most. */
export const MAX_ENDED_REPORTED = 16_384;

/* Flows found idle by the scan: keys, and the last_seen the take compares with. */
class IdleEntries {
  readonly keys = new KeyList();
  readonly lastSeen: number[] = [];
  readonly tables: FlowTableName[] = [];

  add(words: Uint32Array, wordAt: number, lastSeen: number, table: FlowTableName): void {
    this.keys.push(words, wordAt);
    this.tables.push(table);
    this.lastSeen.push(lastSeen);
  }

  get count(): number {
    return this.keys.count;
  }
}

export interface SweepResult {
  report: SweepReport;
  /** Every flow kept, as the sweep read it; undefined when asked not to build it. */
  index: FlowIndex | undefined;
}

/** `hooks`: test seams around each take of an idle flow. `buildIndex`: false leaves listFlows' snapshot out. */
export function sweepFlows(
  maps: ConntrackMaps,
  timeouts: TimeoutTable,
  recounter: ActiveRecounter,
  nowNs: bigint,
  hooks?: TakeHooks,
  buildIndex = true,
): SweepResult {
  const startedAt = performance.now();
  const now = Number(nowNs);
  const endpoints = Endpoints.read(maps);
  const activeBefore = readActive(maps, endpoints.backends.keys());
  const index = buildIndex ? new FlowIndexBuilder() : undefined;
  const counted = new Map<number, number>();
  const taken = new Map<number, number>();
  const candidates = new IdleEntries();
  const deletedByState = Object.fromEntries(FLOW_STATES.map((s) => [s, 0])) as Record<FlowState, number>;
  let flows = 0;

  const keep = (words: Uint32Array, wordAt: number, serviceId: number, backendId: number, tcpState: number) => {
    index?.add(words, wordAt, serviceId, backendId, tcpState);
    if (tcpState !== TCP_STATE.TCP_STATE_CLOSED && endpoints.backendOf(backendId, serviceId)) {
      counted.set(backendId, (counted.get(backendId) ?? 0) + 1);
    }
  };

  const scanned = scanFlows(maps, (keys, keyAt, words, wordAt, values, valueAt, table) => {
    const lastSeen = u64(values, valueAt + VALUE.lastSeenNs);
    const serviceId = u32(values, valueAt + VALUE.serviceId);
    const backendId = u32(values, valueAt + VALUE.backendId);
    const tcpState = u32(values, valueAt + VALUE.tcpState);
    const timeoutNs = timeouts.forFlow(keys[keyAt + KEY.protocol]!, tcpState);
    flows++;
    if (now - lastSeen >= timeoutNs) candidates.add(words, wordAt, lastSeen, table);
    else keep(words, wordAt, serviceId, backendId, tcpState);
  });

  /*
   * Take each idle flow out only if it is still the one the scan judged
   * (take-flow.ts): a packet since the scan (a client reusing its port, a
   * re-steer) keeps it, and what this pass counts off is only what its own
   * takes removed.
   */
  const fresh = Buffer.alloc(maps.flows.valueBytes);
  let revived = 0;
  let deletedFlows = 0;
  const handshakeFailures: HandshakeFailureCounts = {};
  const endedKeys: Buffer[] = [];
  const ended = { backendIds: [] as number[], serviceIds: [] as number[] };
  for (let i = 0; i < candidates.count; i++) {
    const key = candidates.keys.key(i);
    const table = candidates.tables[i]!;
    const judged = candidates.lastSeen[i]!;
    const outcome = takeIfStillDoomed(maps[table] as BpfMap<unknown, unknown>, key, fresh, (taken) => u64(taken, VALUE.lastSeenNs) === judged, hooks);
    if (outcome === 'absent') {
      /* A half-open flow gone from its table may have moved to the flow table (its handshake completed). */
      if (table === 'halfOpenFlows' && lookupInto(maps.flows, key, fresh)) {
        revived++;
        keep(candidates.keys.words, i * KEY_WORDS, u32(fresh, VALUE.serviceId), u32(fresh, VALUE.backendId), u32(fresh, VALUE.tcpState));
      }
      /* Otherwise expired by the data plane or evicted: whoever removed it counted it (or the recount does). */
      continue;
    }
    const serviceId = u32(fresh, VALUE.serviceId);
    const backendId = u32(fresh, VALUE.backendId);
    const tcpState = u32(fresh, VALUE.tcpState);
    if (outcome === 'restored') {
      revived++;
      keep(candidates.keys.words, i * KEY_WORDS, serviceId, backendId, tcpState);
      continue;
    }
    /* 'deleted', or 'replaced' (live, but a packet started the flow anew while it was out): ours to count off. */
    deletedFlows++;
    deletedByState[flowState(key[KEY.protocol]!, tcpState)]++;
    if (outcome === 'deleted' && endedKeys.length < MAX_ENDED_REPORTED) {
      endedKeys.push(Buffer.from(key));
      ended.backendIds.push(backendId);
      ended.serviceIds.push(serviceId);
    }
    countHandshakeFailure(handshakeFailures, key[KEY.protocol]!, fresh);
    if (tcpState !== TCP_STATE.TCP_STATE_CLOSED && endpoints.backendOf(backendId, serviceId)) {
      taken.set(backendId, (taken.get(backendId) ?? 0) + 1);
    }
    /* The flow that replaced it is live: list and count it like any kept flow. */
    if (outcome === 'replaced' && lookupInto(maps[table] as BpfMap<unknown, unknown>, key, fresh)) {
      keep(candidates.keys.words, i * KEY_WORDS, u32(fresh, VALUE.serviceId), u32(fresh, VALUE.backendId), u32(fresh, VALUE.tcpState));
    }
  }

  for (const [backendId, n] of taken) decrementActive(maps, backendId, n);
  const corrections = recounter.correct(maps, counted, activeBefore, taken);
  const flowIndex = index?.finish();

  const report: SweepReport = {
    scanned,
    flows,
    deletedFlows,
    deletedByState,
    revived,
    activeTaken: Object.fromEntries(taken),
    corrections,
    handshakeFailures,
    durationMs: performance.now() - startedAt,
    ended: { keys: new Uint8Array(Buffer.concat(endedKeys)), ...ended },
  };
  return { report, index: flowIndex };
}
