/*
 * A sorted snapshot of the forward entries, for paging the connection table.
 *
 * Why a snapshot: a page filtered by backend or client must not read two
 * million entries from the kernel (half a second), and a hash map has no
 * order to resume from (bpf_map_get_next_key restarts from the first bucket
 * when the cursor's key was deleted). So each full scan (the GC's sweep, or
 * a page that finds the snapshot too old) leaves behind compact columns of
 * every forward entry, in a fixed order; a page is a walk over those columns
 * from the cursor, and only the flows it returns are read fresh.
 *
 * The order is (hash32(key), key bytes): it depends on the key alone, never
 * on the snapshot, so a cursor (the last key returned) stays meaningful
 * across rebuilds and keys added or removed meanwhile: every flow present
 * for the whole walk is returned exactly once.
 */
import type { ConntrackMaps } from './conntrack-maps.js';
import { FLOW_STATES, type FlowState, KEY, KEY_SIZE, flowState } from './flow-bytes.js';
import { KEY_WORDS, KeyList, hashWords, keyBuffer, wordsOf } from './key-words.js';

/* Sort words pack hash * 2^21 + position into a double's 53 exact bits. */
const POSITION_BITS = 21;
const POSITION_SPAN = 2 ** POSITION_BITS;

/** Order of two keys in word arrays: hash first, then words (host order) one by one. */
function compareAt(aWords: Uint32Array, aAt: number, aHash: number, bWords: Uint32Array, bAt: number, bHash: number): number {
  if (aHash !== bHash) return aHash < bHash ? -1 : 1;
  for (let w = 0; w < KEY_WORDS; w++) {
    const a = aWords[aAt + w]!;
    const b = bWords[bAt + w]!;
    if (a !== b) return a < b ? -1 : 1;
  }
  return 0;
}

export class FlowIndex {
  readonly keys: Buffer;

  constructor(
    readonly count: number,
    /** count * KEY_WORDS, in index order. */
    readonly words: Uint32Array,
    readonly hashes: Uint32Array,
    readonly serviceIds: Uint32Array,
    readonly backendIds: Uint32Array,
    readonly tcpStates: Uint8Array,
    /** performance.now() when the scan began. */
    readonly builtAt: number,
    readonly buildMs: number,
  ) {
    this.keys = Buffer.from(words.buffer, words.byteOffset, count * KEY_SIZE);
  }

  key(i: number): Buffer {
    return keyBuffer(this.words, i);
  }

  protocol(i: number): number {
    return this.keys[i * KEY_SIZE + KEY.protocol]!;
  }

  #stateCounts: Record<FlowState, number> | undefined;

  /** How many flows are in each state ('none': UDP), counted once per snapshot (a few ms at a million). */
  stateCounts(): Readonly<Record<FlowState, number>> {
    if (this.#stateCounts) return this.#stateCounts;
    const counts = Object.fromEntries(FLOW_STATES.map((s) => [s, 0])) as Record<FlowState, number>;
    for (let i = 0; i < this.count; i++) counts[flowState(this.protocol(i), this.tcpStates[i]!)]++;
    this.#stateCounts = counts;
    return counts;
  }

  /** The first position whose key sorts after `key` (which need not be present). */
  positionAfter(key: Buffer): number {
    const words = wordsOf(Buffer.from(key));
    const hash = hashWords(words, 0);
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareAt(words, 0, hash, this.words, mid * KEY_WORDS, this.hashes[mid]!) < 0) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/** Collects forward entries during a scan, then sorts them into a FlowIndex. */
export class FlowIndexBuilder {
  readonly #keys = new KeyList();
  #capacity = 1024;
  #serviceIds = new Uint32Array(this.#capacity);
  #backendIds = new Uint32Array(this.#capacity);
  #tcpStates = new Uint8Array(this.#capacity);
  readonly #startedAt = performance.now();

  add(words: Uint32Array, wordAt: number, serviceId: number, backendId: number, tcpState: number): void {
    const i = this.#keys.push(words, wordAt);
    if (i === this.#capacity) this.#grow();
    this.#serviceIds[i] = serviceId;
    this.#backendIds[i] = backendId;
    this.#tcpStates[i] = tcpState;
  }

  #grow(): void {
    this.#capacity *= 2;
    const serviceIds = new Uint32Array(this.#capacity);
    serviceIds.set(this.#serviceIds);
    this.#serviceIds = serviceIds;
    const backendIds = new Uint32Array(this.#capacity);
    backendIds.set(this.#backendIds);
    this.#backendIds = backendIds;
    const states = new Uint8Array(this.#capacity);
    states.set(this.#tcpStates);
    this.#tcpStates = states;
  }

  finish(): FlowIndex {
    const n = this.#keys.count;
    const from = this.#keys.words;
    const hashes = new Uint32Array(n);
    for (let i = 0; i < n; i++) hashes[i] = hashWords(from, i * KEY_WORDS);
    const order = this.#sortedOrder(hashes);

    const words = new Uint32Array(n * KEY_WORDS);
    const sortedHashes = new Uint32Array(n);
    const serviceIds = new Uint32Array(n);
    const backendIds = new Uint32Array(n);
    const tcpStates = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const j = order[i]!;
      const to = i * KEY_WORDS;
      const at = j * KEY_WORDS;
      for (let w = 0; w < KEY_WORDS; w++) words[to + w] = from[at + w]!;
      sortedHashes[i] = hashes[j]!;
      serviceIds[i] = this.#serviceIds[j]!;
      backendIds[i] = this.#backendIds[j]!;
      tcpStates[i] = this.#tcpStates[j]!;
    }
    return new FlowIndex(n, words, sortedHashes, serviceIds, backendIds, tcpStates, this.#startedAt, performance.now() - this.#startedAt);
  }

  /* Positions in (hash, key) order: a native numeric sort, then key order within equal hashes. */
  #sortedOrder(hashes: Uint32Array): Uint32Array {
    const n = hashes.length;
    const words = this.#keys.words;
    const compare = (a: number, b: number) => compareAt(words, a * KEY_WORDS, hashes[a]!, words, b * KEY_WORDS, hashes[b]!);
    const order = new Uint32Array(n);
    if (n > POSITION_SPAN) {
      for (let i = 0; i < n; i++) order[i] = i;
      return order.sort(compare);
    }
    const packed = new Float64Array(n);
    for (let i = 0; i < n; i++) packed[i] = hashes[i]! * POSITION_SPAN + i;
    packed.sort();
    for (let i = 0; i < n; i++) order[i] = packed[i]! % POSITION_SPAN;
    /* Equal hashes (a few hundred pairs in a million) sorted by key. */
    for (let i = 1; i < n; ) {
      if (hashes[order[i]!] !== hashes[order[i - 1]!]) {
        i++;
        continue;
      }
      let end = i + 1;
      while (end < n && hashes[order[end]!] === hashes[order[i]!]) end++;
      order.set(Array.from(order.subarray(i - 1, end)).sort(compare), i - 1);
      i = end;
    }
    return order;
  }
}

/**
 * A FlowIndex as it crosses from the worker thread: its columns, whose
 * buffers are transferred (moved, not copied), and its scan time on the
 * wall clock, since each thread's performance.now() has its own origin.
 */
export interface FlowIndexColumns {
  count: number;
  words: Uint32Array;
  hashes: Uint32Array;
  serviceIds: Uint32Array;
  backendIds: Uint32Array;
  tcpStates: Uint8Array;
  builtAtEpochMs: number;
  buildMs: number;
}

export function columnsOf(index: FlowIndex): FlowIndexColumns {
  const { count, words, hashes, serviceIds, backendIds, tcpStates, buildMs } = index;
  return { count, words, hashes, serviceIds, backendIds, tcpStates, builtAtEpochMs: performance.timeOrigin + index.builtAt, buildMs };
}

/** The buffers to list in postMessage's transfer list. */
export function transferablesOf(columns: FlowIndexColumns): ArrayBuffer[] {
  return [columns.words, columns.hashes, columns.serviceIds, columns.backendIds, columns.tcpStates].map((column) => column.buffer as ArrayBuffer);
}

export function indexOfColumns(c: FlowIndexColumns): FlowIndex {
  return new FlowIndex(c.count, c.words, c.hashes, c.serviceIds, c.backendIds, c.tcpStates, c.builtAtEpochMs - performance.timeOrigin, c.buildMs);
}

/* One snapshot per set of maps: the worker builds, the main thread publishes, listFlows reads. */
const snapshots = new WeakMap<ConntrackMaps, FlowIndex>();

/** Keeps the snapshot of the latest scan (a slower, older scan finishing last does not replace it). */
export function publishFlowIndex(maps: ConntrackMaps, index: FlowIndex): void {
  const current = snapshots.get(maps);
  if (!current || current.builtAt <= index.builtAt) snapshots.set(maps, index);
}

/** Drops the snapshot (and its memory: about 50 MB at a million flows); the next page asks for a new one. */
export function retireFlowIndex(maps: ConntrackMaps): void {
  snapshots.delete(maps);
}

export function currentFlowIndex(maps: ConntrackMaps): FlowIndex | undefined {
  return snapshots.get(maps);
}
