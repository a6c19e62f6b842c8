/*
 * Flow-table calls on raw bytes, for the hot paths: BpfMap's typed calls
 * decode and re-encode every key and allocate a value per lookup, which
 * for a million flows costs more than the syscalls themselves.
 */
import { constants as osConstants } from 'node:os';
import { DataplaneError } from '../dataplane/errors.js';
import { libbpf } from '../dataplane/libbpf.js';
import type { BpfMap } from '../dataplane/maps.js';
import { KEY_SIZE } from './flow-bytes.js';
import type { KeyList } from './key-words.js';

const CHUNK = 4096;
const { ENOENT } = osConstants.errno;
const BATCH_OPTS = { sz: 24, elem_flags: 0, flags: 0 };

type AnyMap = BpfMap<unknown, unknown>;

/** Reads the entry of `key` into `out` (valueBytes long); false when absent. */
export function lookupInto(flows: AnyMap, key: Buffer, out: Buffer): boolean {
	const ret = libbpf.bpf_map_lookup_elem(flows.fd, key, out);
	if (ret === -ENOENT) return false;
	if (ret < 0) throw new DataplaneError({ call: 'bpf_map_lookup_elem', subject: `map "${flows.name}"`, errno: -ret });
	return true;
}

/** Deletes every key in the list, in batches; returns how many were still there. */
export function deleteKeys(flows: AnyMap, list: KeyList): number {
	const all = list.bytes();
	let deleted = 0;
	for (let start = 0; start < list.count; start += CHUNK) {
		const n = Math.min(CHUNK, list.count - start);
		deleted += deleteChunk(flows, all.subarray(start * KEY_SIZE, (start + n) * KEY_SIZE), n);
	}
	return deleted;
}

function deleteChunk(flows: AnyMap, keys: Buffer, n: number): number {
	const count = new Uint32Array([n]);
	const ret = libbpf.bpf_map_delete_batch(flows.fd, keys, count, BATCH_OPTS);
	if (ret === 0) return n;
	if (ret !== -ENOENT) {
		throw new DataplaneError({ call: 'bpf_map_delete_batch', subject: `map "${flows.name}"`, errno: -ret, detail: `${count[0]} of ${n} deleted` });
	}
	/* bpf_map_delete_batch stops at the first key already gone (LRU eviction): finish the rest one by one. */
	let deleted = count[0]!;
	for (let i = deleted + 1; i < n; i++) {
		const ret1 = libbpf.bpf_map_delete_elem(flows.fd, keys.subarray(i * KEY_SIZE, (i + 1) * KEY_SIZE));
		if (ret1 === 0) deleted++;
		else if (ret1 !== -ENOENT) throw new DataplaneError({ call: 'bpf_map_delete_elem', subject: `map "${flows.name}"`, errno: -ret1 });
	}
	return deleted;
}
