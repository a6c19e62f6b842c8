/*
 * Ending flows on purpose (a drain that timed out, a removed service):
 * delete their entries and take the open ones off backend_active. The
 * client's next packet finds no flow and, its backend no longer eligible,
 * goes elsewhere and is reset there: the connection ends.
 */
import type { BpfMap } from '@sluice/dataplane';
import { type ConntrackMaps, FLOW_TABLES, type FlowTableName } from './conntrack-maps.js';
import { decrementActive } from './active-counts.js';
import { Endpoints } from './endpoints.js';
import { type FlowState, KEY, TCP_STATE, VALUE, addressAt, flowState, u32 } from './flow-bytes.js';
import type { FlowIndexBuilder } from './flow-index.js';
import { KEY_WORDS, KeyList } from './key-words.js';
import { scanFlows } from './scan.js';
import { type TakeHooks, takeIfStillDoomed } from './take-flow.js';

/** What a predicate sees of a flow; the client address is decoded only if read. */
export interface FlowSummary {
  readonly serviceId: number;
  readonly backendId: number;
  readonly protocol: 'tcp' | 'udp';
  readonly state: FlowState;
  readonly clientPort: number;
  readonly vipPort: number;
  readonly clientAddress: string;
}

class ScannedFlow implements FlowSummary {
  #client: string | undefined;
  constructor(
    private readonly keys: Buffer,
    private readonly at: number,
    readonly serviceId: number,
    readonly backendId: number,
    readonly tcpState: number,
  ) {}
  get protocol(): 'tcp' | 'udp' {
    return this.keys[this.at + KEY.protocol] === 6 ? 'tcp' : 'udp';
  }
  get state(): FlowState {
    return flowState(this.keys[this.at + KEY.protocol]!, this.tcpState);
  }
  get clientPort(): number {
    return this.keys.readUInt16BE(this.at + KEY.srcPort);
  }
  get vipPort(): number {
    return this.keys.readUInt16BE(this.at + KEY.dstPort);
  }
  get clientAddress(): string {
    this.#client ??= addressAt(this.keys, this.at + KEY.src, this.keys[this.at + KEY.family]!);
    return this.#client;
  }
}

export interface EndFlowsReport {
  /** Flows ended (entries deleted). */
  ended: number;
  /** Of them, open ones taken off backend_active, by backend id. */
  activeTaken: Record<number, number>;
}

/**
 * `kept`: collects the flows that stay, as the scan reads them (the worker
 * builds its next index from them). Each flow the predicate picks is taken
 * out only if it still matches when taken (take-flow.ts): one that a packet
 * re-steered meanwhile (to a backend the predicate spares) stays. `hooks`:
 * test seams around each take.
 */
export function endFlows(maps: ConntrackMaps, predicate: (flow: FlowSummary) => boolean, kept?: FlowIndexBuilder, hooks?: TakeHooks): EndFlowsReport {
  const endpoints = Endpoints.read(maps);
  const doomed: Record<FlowTableName, KeyList> = { flows: new KeyList(), halfOpenFlows: new KeyList() };
  const taken = new Map<number, number>();
  scanFlows(maps, (keys, keyAt, words, wordAt, values, valueAt, table) => {
    const flow = new ScannedFlow(
      keys,
      keyAt,
      u32(values, valueAt + VALUE.serviceId),
      u32(values, valueAt + VALUE.backendId),
      u32(values, valueAt + VALUE.tcpState),
    );
    if (!predicate(flow)) {
      kept?.add(words, wordAt, flow.serviceId, flow.backendId, flow.tcpState);
      return;
    }
    doomed[table].push(words, wordAt);
  });
  let ended = 0;
  const value = Buffer.alloc(maps.flows.valueBytes);
  for (const table of FLOW_TABLES) {
    const list = doomed[table];
    for (let i = 0; i < list.count; i++) {
      const key = list.key(i);
      const outcome = takeIfStillDoomed(maps[table] as BpfMap<unknown, unknown>, key, value, (taken) => predicate(summaryOf(key, taken)), hooks);
      /* Absent: the data plane expired it or LRU evicted it; whoever removed it counted it. */
      if (outcome === 'absent') continue;
      const serviceId = u32(value, VALUE.serviceId);
      const backendId = u32(value, VALUE.backendId);
      if (outcome === 'restored') {
        kept?.add(list.words, i * KEY_WORDS, serviceId, backendId, u32(value, VALUE.tcpState));
        continue;
      }
      ended++;
      if (u32(value, VALUE.tcpState) !== TCP_STATE.TCP_STATE_CLOSED && endpoints.backendOf(backendId, serviceId)) {
        taken.set(backendId, (taken.get(backendId) ?? 0) + 1);
      }
    }
  }
  for (const [backendId, n] of taken) decrementActive(maps, backendId, n);
  return { ended, activeTaken: Object.fromEntries(taken) };
}

/* The flow as the take found it (key and value of one entry). */
function summaryOf(key: Buffer, value: Buffer): FlowSummary {
  return new ScannedFlow(key, 0, u32(value, VALUE.serviceId), u32(value, VALUE.backendId), u32(value, VALUE.tcpState));
}
