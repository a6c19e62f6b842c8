/* Emptying and scanning the data plane's flow table between cases. */
import type { BpfMap } from '@sluice/dataplane';
import { libbpf } from '@sluice/dataplane/libbpf';

const BATCH_OPTS = { sz: 24, elem_flags: 0, flags: 0 };

/** Every key, copied out in raw form (no decoding: a million keys decode slowly). */
function rawKeys(map: BpfMap<unknown, unknown>): Buffer[] {
  const chunks: Buffer[] = [];
  for (const [keys, , count] of map.rawBatches(65536)) chunks.push(Buffer.from(keys.subarray(0, count * map.keySize)));
  return chunks;
}

export function clearFlowTable(map: BpfMap<unknown, unknown>): number {
  let removed = 0;
  for (const keys of rawKeys(map)) {
    const count = new Uint32Array([keys.length / map.keySize]);
    const ret = libbpf.bpf_map_delete_batch(map.fd, keys, count, BATCH_OPTS);
    /* An LRU entry may vanish between the read and the delete: ENOENT stops a batch early, so finish it one by one. */
    if (ret < 0) {
      for (let at = count[0]! * map.keySize; at < keys.length; at += map.keySize) map.deleteBytes(keys.subarray(at, at + map.keySize));
    }
    removed += keys.length / map.keySize;
  }
  return removed;
}

/** Reads the whole table with batch lookups; returns entries and milliseconds. */
export function scanFlowTable(map: BpfMap<unknown, unknown>): { entries: number; ms: number } {
  const start = process.hrtime.bigint();
  let entries = 0;
  for (const [, , count] of map.rawBatches(65536)) entries += count;
  return { entries, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}
