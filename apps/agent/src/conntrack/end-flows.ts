/*
 * Ending flows on purpose (a drain that timed out, a removed service):
 * delete their entries and take the open ones off backend_active. The
 * client's next packet finds no flow and, its backend no longer eligible,
 * goes elsewhere and is reset there: the connection ends.
 */
import { type ConntrackMaps, FLOW_TABLES, type FlowTableName } from './conntrack-maps.js';
import { decrementActive } from './active-counts.js';
import { Endpoints } from './endpoints.js';
import { type FlowState, KEY, TCP_STATE, VALUE, addressAt, flowState, u32 } from './flow-bytes.js';
import type { FlowIndexBuilder } from './flow-index.js';
import { KeyList } from './key-words.js';
import { deleteKeys } from './raw-flow-ops.js';
import { scanFlows } from './scan.js';

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

/** `kept`: collects the flows that stay, as the scan reads them (the worker builds its next index from them). */
export function endFlows(maps: ConntrackMaps, predicate: (flow: FlowSummary) => boolean, kept?: FlowIndexBuilder): EndFlowsReport {
	const endpoints = Endpoints.read(maps);
	const doomed: Record<FlowTableName, KeyList> = { flows: new KeyList(), halfOpenFlows: new KeyList() };
	const taken = new Map<number, number>();
	scanFlows(maps, (keys, keyAt, words, wordAt, values, valueAt, table) => {
		const flow = new ScannedFlow(keys, keyAt, u32(values, valueAt + VALUE.serviceId), u32(values, valueAt + VALUE.backendId), u32(values, valueAt + VALUE.tcpState));
		if (!predicate(flow)) {
			kept?.add(words, wordAt, flow.serviceId, flow.backendId, flow.tcpState);
			return;
		}
		doomed[table].push(words, wordAt);
		if (flow.tcpState !== TCP_STATE.TCP_STATE_CLOSED && endpoints.backendOf(flow.backendId, flow.serviceId)) {
			taken.set(flow.backendId, (taken.get(flow.backendId) ?? 0) + 1);
		}
	});
	let ended = 0;
	for (const table of FLOW_TABLES) ended += deleteKeys(maps[table], doomed[table]);
	for (const [backendId, n] of taken) decrementActive(maps, backendId, n);
	return { ended, activeTaken: Object.fromEntries(taken) };
}
