/*
 * One pass over the raw flow tables (the flow table, then the half-open
 * one) in kernel batches: the visitor gets the batch buffers (keys also as
 * 32-bit words), offsets, valid only during the call, and the table.
 */
import { BatchBuffers } from '@sluice/dataplane';
import { type ConntrackMaps, FLOW_TABLES, type FlowTableName } from './conntrack-maps.js';
import { KEY_SIZE, VALUE, u32 } from './flow-bytes.js';
import { type FlowIndex, FlowIndexBuilder } from './flow-index.js';
import { KEY_WORDS, wordsOf } from './key-words.js';

/* Entries per bpf_map_lookup_batch call: 16384 x 88 B = 1.4 MB of buffers. */
const SCAN_BATCH = 16384;
/* Kept for the thread's next scan: a sweep every few seconds allocates none (2.6 MB a table). */
const scanBuffers = new BatchBuffers();

export type EntryVisitor = (keys: Buffer, keyAt: number, keyWords: Uint32Array, wordAt: number, values: Buffer, valueAt: number, table: FlowTableName) => void;

/**
 * Visits every entry of both tables; returns how many there were. With `maxEntries`, stops
 * once more than that were read and returns undefined (the visitor has then
 * seen part of the table).
 */
export function scanFlows(maps: ConntrackMaps, visit: EntryVisitor): number;
export function scanFlows(maps: ConntrackMaps, visit: EntryVisitor, maxEntries: number): number | undefined;
export function scanFlows(maps: ConntrackMaps, visit: EntryVisitor, maxEntries = Infinity): number | undefined {
  const valueSize = maps.flows.valueBytes;
  let scanned = 0;
  let words: Uint32Array | undefined;
  let wordsOfBuffer: Buffer | undefined;
  /* A limit below one batch is decided by a single read: one entry more than the limit, or the whole table. */
  const batchSize = Math.min(SCAN_BATCH, maxEntries + 1);
  for (const table of FLOW_TABLES) {
    for (const [keys, values, count] of maps[table].rawBatches(batchSize, scanBuffers)) {
      if (scanned + count > maxEntries) return undefined;
      if (wordsOfBuffer !== keys) {
        words = wordsOf(keys);
        wordsOfBuffer = keys;
      }
      for (let i = 0; i < count; i++) visit(keys, i * KEY_SIZE, words!, i * KEY_WORDS, values, i * valueSize, table);
      scanned += count;
    }
  }
  return scanned;
}

/**
 * A fresh snapshot of every flow (what listFlows pages over), or
 * undefined when the table has more than `maxEntries` entries.
 */
export function buildFlowIndex(maps: ConntrackMaps): FlowIndex;
export function buildFlowIndex(maps: ConntrackMaps, maxEntries: number): FlowIndex | undefined;
export function buildFlowIndex(maps: ConntrackMaps, maxEntries = Infinity): FlowIndex | undefined {
  const builder = new FlowIndexBuilder();
  const scanned = scanFlows(
    maps,
    (_keys, _keyAt, words, wordAt, values, valueAt) => {
      builder.add(words, wordAt, u32(values, valueAt + VALUE.serviceId), u32(values, valueAt + VALUE.backendId), u32(values, valueAt + VALUE.tcpState));
    },
    maxEntries,
  );
  return scanned === undefined ? undefined : builder.finish();
}
