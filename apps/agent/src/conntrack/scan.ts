/*
 * One pass over the raw flow table in kernel batches: the visitor gets the
 * batch buffers (keys also as 32-bit words) and offsets, valid only during
 * the call.
 */
import type { DataplaneMaps } from '../dataplane/dataplane-maps.js';
import { KEY_SIZE, VALUE, isReply, u32 } from './flow-bytes.js';
import { FlowIndex, FlowIndexBuilder } from './flow-index.js';
import { KEY_WORDS, wordsOf } from './key-words.js';

/* Entries per bpf_map_lookup_batch call: 16384 x 88 B = 1.4 MB of buffers. */
const SCAN_BATCH = 16384;

export type EntryVisitor = (keys: Buffer, keyAt: number, keyWords: Uint32Array, wordAt: number, values: Buffer, valueAt: number) => void;

export function scanFlows(maps: DataplaneMaps, visit: EntryVisitor): number {
	const valueSize = maps.flows.valueBytes;
	let scanned = 0;
	let words: Uint32Array | undefined;
	let wordsOfBuffer: Buffer | undefined;
	for (const [keys, values, count] of maps.flows.rawBatches(SCAN_BATCH)) {
		if (wordsOfBuffer !== keys) {
			words = wordsOf(keys);
			wordsOfBuffer = keys;
		}
		for (let i = 0; i < count; i++) visit(keys, i * KEY_SIZE, words!, i * KEY_WORDS, values, i * valueSize);
		scanned += count;
	}
	return scanned;
}

/** A fresh snapshot of every forward entry (what listFlows pages over). */
export function buildFlowIndex(maps: DataplaneMaps): FlowIndex {
	const builder = new FlowIndexBuilder();
	scanFlows(maps, (_keys, _keyAt, words, wordAt, values, valueAt) => {
		if (isReply(values, valueAt)) return;
		builder.add(words, wordAt, u32(values, valueAt + VALUE.serviceId), u32(values, valueAt + VALUE.backendId), u32(values, valueAt + VALUE.tcpState));
	});
	return builder.finish();
}
