/*
 * One GC pass over the flow table: delete idle flows (forward and reply
 * entry together), take deleted open flows off backend_active, recount
 * backend_active, and build a fresh index for listFlows (the caller
 * publishes it: the sweep runs on the conntrack worker thread).
 *
 * Cost: one batched read of the table, plus one point lookup per flow about
 * to be deleted (to see that no packet touched it since the read: a client
 * that reuses its port for a new connection must not lose the new flow) and
 * per idle flow whose other entry was too recent to be in the idle set.
 */
import type { ConntrackMaps } from './conntrack-maps.js';
import { type ActiveCorrection, type ActiveRecounter, decrementActive, readActive } from './active-counts.js';
import { Endpoints } from './endpoints.js';
import { FLOW_STATES, type FlowState, KEY, KEY_SIZE, TCP_STATE, VALUE, flowState, isReply, u32, u64 } from './flow-bytes.js';
import { type FlowIndex, FlowIndexBuilder } from './flow-index.js';
import { KEY_WORDS, KeyList, KeySet, wordsOf } from './key-words.js';
import { deleteKeys, lookupInto } from './raw-flow-ops.js';
import { scanFlows } from './scan.js';
import type { TimeoutTable } from './timeouts.js';

export interface SweepReport {
	/** Entries read (forward + reply). */
	scanned: number;
	/** Forward entries (flows) seen. */
	flows: number;
	deletedFlows: number;
	/** Reply entries deleted, with their flow or as orphans. */
	deletedReplies: number;
	deletedByState: Record<FlowState, number>;
	/** Idle at the read, but a packet came before the delete: kept. */
	revived: number;
	/** Open flows taken off backend_active for deleted flows, by backend id. */
	activeTaken: Record<number, number>;
	/** Recount fixes (drift from LRU evictions and races). */
	corrections: ActiveCorrection[];
	durationMs: number;
}

/* Entries found idle by the scan: keys plus the fields the pairing needs. */
class IdleEntries {
	readonly keys = new KeyList();
	readonly lastSeen: number[] = [];
	readonly timeoutNs: number[] = [];
	readonly serviceIds: number[] = [];
	readonly backendIds: number[] = [];
	readonly tcpStates: number[] = [];

	add(words: Uint32Array, wordAt: number, lastSeen: number, timeoutNs: number, serviceId: number, backendId: number, tcpState: number): void {
		this.keys.push(words, wordAt);
		this.lastSeen.push(lastSeen);
		this.timeoutNs.push(timeoutNs);
		this.serviceIds.push(serviceId);
		this.backendIds.push(backendId);
		this.tcpStates.push(tcpState);
	}

	get count(): number {
		return this.keys.count;
	}
}

export interface SweepResult {
	report: SweepReport;
	/** Every flow kept, as the sweep read it. */
	index: FlowIndex;
}

export function sweepFlows(maps: ConntrackMaps, timeouts: TimeoutTable, recounter: ActiveRecounter, nowNs: bigint): SweepResult {
	const startedAt = performance.now();
	const now = Number(nowNs);
	const endpoints = Endpoints.read(maps);
	const activeBefore = readActive(maps, endpoints.backends.keys());
	const index = new FlowIndexBuilder();
	const counted = new Map<number, number>();
	const taken = new Map<number, number>();
	const replies = new IdleEntries();
	const candidates = new IdleEntries();
	const deletedByState = Object.fromEntries(FLOW_STATES.map((s) => [s, 0])) as Record<FlowState, number>;
	let flows = 0;

	const keep = (words: Uint32Array, wordAt: number, serviceId: number, backendId: number, tcpState: number) => {
		index.add(words, wordAt, serviceId, backendId, tcpState);
		if (tcpState !== TCP_STATE.TCP_STATE_CLOSED && endpoints.backendOf(backendId, serviceId)) {
			counted.set(backendId, (counted.get(backendId) ?? 0) + 1);
		}
	};

	const scanned = scanFlows(maps, (keys, keyAt, words, wordAt, values, valueAt) => {
		const lastSeen = u64(values, valueAt + VALUE.lastSeenNs);
		const serviceId = u32(values, valueAt + VALUE.serviceId);
		const backendId = u32(values, valueAt + VALUE.backendId);
		if (isReply(values, valueAt)) {
			if (now - lastSeen >= timeouts.minNs) replies.add(words, wordAt, lastSeen, 0, serviceId, backendId, 0);
			return;
		}
		flows++;
		const tcpState = u32(values, valueAt + VALUE.tcpState);
		const timeoutNs = timeouts.forFlow(keys[keyAt + KEY.protocol]!, tcpState);
		if (now - lastSeen >= timeoutNs) candidates.add(words, wordAt, lastSeen, timeoutNs, serviceId, backendId, tcpState);
		else keep(words, wordAt, serviceId, backendId, tcpState);
	});

	/* Pair each idle forward entry with its reply entry. */
	const replySet = new KeySet(replies.keys, replies.count);
	const pairedReply = new Uint8Array(replies.count);
	const deleteForward = new KeyList();
	const deleteReply = new KeyList();
	const replyKey = Buffer.alloc(KEY_SIZE);
	const replyWords = wordsOf(replyKey);
	const fresh = Buffer.alloc(maps.flows.valueBytes);
	let revived = 0;
	for (let i = 0; i < candidates.count; i++) {
		const key = candidates.keys.key(i);
		const serviceId = candidates.serviceIds[i]!;
		const backendId = candidates.backendIds[i]!;
		let tcpState = candidates.tcpStates[i]!;
		let replyPresent = false;
		let replyIdle = true;
		if (endpoints.replyKeyOf(key, 0, backendId, serviceId, replyKey)) {
			const at = replySet.find(replyWords, 0);
			if (at >= 0) {
				pairedReply[at] = 1;
				replyPresent = true;
				replyIdle = now - replies.lastSeen[at]! >= candidates.timeoutNs[i]!;
			} else if (lookupInto(maps.flows, replyKey, fresh)) {
				/* Present but not in the idle set: it saw a packet within the shortest timeout. */
				replyPresent = true;
				replyIdle = false;
			}
		}
		const forwardThere = replyIdle && lookupInto(maps.flows, key, fresh);
		if (!replyIdle || (forwardThere && u64(fresh, VALUE.lastSeenNs) !== candidates.lastSeen[i])) {
			if (forwardThere) {
				revived++;
				tcpState = u32(fresh, VALUE.tcpState);
			}
			keep(candidates.keys.words, i * KEY_WORDS, serviceId, backendId, tcpState);
			continue;
		}
		/* Idle on both sides (or evicted already: its count is ours to take off too). */
		if (forwardThere) deleteForward.push(candidates.keys.words, i * KEY_WORDS);
		if (replyPresent) deleteReply.push(replyWords, 0);
		deletedByState[flowState(key[KEY.protocol]!, tcpState)]++;
		if (tcpState !== TCP_STATE.TCP_STATE_CLOSED && endpoints.backendOf(backendId, serviceId)) {
			taken.set(backendId, (taken.get(backendId) ?? 0) + 1);
		}
	}

	/* Reply entries whose forward entry was not idle stay; idle ones without a forward go. */
	const forwardKey = Buffer.alloc(KEY_SIZE);
	for (let at = 0; at < replies.count; at++) {
		if (pairedReply[at]) continue;
		const key = replies.keys.key(at);
		const idle = now - replies.lastSeen[at]!;
		const serviceId = replies.serviceIds[at]!;
		const backendId = replies.backendIds[at]!;
		const backend = endpoints.backendOf(backendId, serviceId);
		/* A reply from a backend that lost its flows (down, removed) only waits out the closed timeout. */
		const limit = backend && backend.flags !== 0 ? timeouts.forOrphanReply(key[KEY.protocol]!) : timeouts.minNs;
		if (idle < limit) continue;
		const forward = endpoints.forwardKeyOf(key, 0, serviceId, forwardKey) && lookupInto(maps.flows, forwardKey, fresh);
		if (forward && u32(fresh, VALUE.backendId) === backendId && !isReply(fresh, 0)) continue;
		deleteReply.push(replies.keys.words, at * KEY_WORDS);
	}

	const deletedFlows = deleteKeys(maps.flows, deleteForward);
	const deletedReplies = deleteKeys(maps.flows, deleteReply);
	for (const [backendId, n] of taken) decrementActive(maps, backendId, n);
	const corrections = recounter.correct(maps, counted, activeBefore, taken);
	const flowIndex = index.finish();

	const report: SweepReport = {
		scanned,
		flows,
		deletedFlows,
		deletedReplies,
		deletedByState,
		revived,
		activeTaken: Object.fromEntries(taken),
		corrections,
		durationMs: performance.now() - startedAt,
	};
	return { report, index: flowIndex };
}
