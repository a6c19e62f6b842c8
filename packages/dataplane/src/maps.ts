/*
 * Typed access to one BPF map: keys and values go through codecs, failures
 * become DataplaneErrors naming the map. Per-CPU maps hold one value per
 * possible CPU; their codec (perCpuCodec) turns that into an array.
 */
import { constants as osConstants } from 'node:os';
import type { Codec } from './codec.js';
import { DataplaneError, checked } from './errors.js';
import { type BpfMapBatchOpts, type BpfMapPtr, BpfMapType, UpdateFlag, isPerCpuMapType, libbpf, mapTypeName } from './libbpf.js';

const { ENOENT, ENOSPC, EINVAL, EBADF, EOPNOTSUPP } = osConstants.errno;
const ENOTSUPP = 524; /* kernel-internal "no batch ops for this map type" */

export { UpdateFlag };

/** What the kernel (or libbpf, before load) says about a map. */
export interface MapInfo {
  name: string;
  fd: number;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
}

/** A map of a libbpf object as MapInfo (fd -1 before load). */
export function mapInfoOf(map: BpfMapPtr, fd: number): MapInfo {
  return {
    name: libbpf.bpf_map__name(map),
    fd,
    type: libbpf.bpf_map__type(map),
    keySize: libbpf.bpf_map__key_size(map),
    valueSize: libbpf.bpf_map__value_size(map),
    maxEntries: libbpf.bpf_map__max_entries(map),
  };
}

/** Whoever owns the fds; a map refuses to touch an fd its owner has closed (it may be reused). */
export interface FdOwner {
  readonly closed: boolean;
}

const UPDATE_FLAG_NAMES: Record<number, string> = { 0: 'BPF_ANY', 1: 'BPF_NOEXIST', 2: 'BPF_EXIST' };
const BATCH_OPTS: BpfMapBatchOpts = { sz: 24, elem_flags: 0, flags: 0 };
const DEFAULT_BATCH = 4096;

/**
 * Key and value buffers that a caller keeps between rawBatches reads of
 * the same kind of map: a table read every few seconds then allocates and
 * zeroes nothing (a 16K-entry batch of the flow table is 2.6 MB, which an
 * idle agent's GC otherwise paid for on every sweep of an empty table).
 * One read uses them at a time; a read that finds them in use gets its own.
 */
export class BatchBuffers {
  keys = Buffer.alloc(0);
  values = Buffer.alloc(0);
  inUse = false;

  /** Buffers of at least these sizes: the kept ones, grown when too small. */
  take(keyBytes: number, valueBytes: number): [Buffer, Buffer] {
    if (this.keys.length < keyBytes) this.keys = Buffer.alloc(keyBytes);
    if (this.values.length < valueBytes) this.values = Buffer.alloc(valueBytes);
    this.inUse = true;
    return [this.keys, this.values];
  }
}

let possibleCpus: number | undefined;

/** Number of possible CPUs: the length of every per-CPU value array. */
export function numPossibleCpus(): number {
  possibleCpus ??= checked('libbpf_num_possible_cpus', 'this host', () => libbpf.libbpf_num_possible_cpus());
  return possibleCpus;
}

/** The kernel stores each CPU's copy at an 8-byte aligned stride. */
export function perCpuCodec<V>(inner: Codec<V>, cpus = numPossibleCpus()): Codec<V[]> {
  const stride = Math.ceil(inner.size / 8) * 8;
  return {
    size: stride * cpus,
    encodeInto(values, buf, offset) {
      if (!Array.isArray(values) || values.length !== cpus) {
        throw new TypeError(`per-CPU value: expected an array of ${cpus} values (one per possible CPU)`);
      }
      buf.fill(0, offset, offset + stride * cpus);
      values.forEach((v, cpu) => inner.encodeInto(v, buf, offset + cpu * stride));
    },
    decodeFrom(buf, offset) {
      return Array.from({ length: cpus }, (_, cpu) => inner.decodeFrom(buf, offset + cpu * stride));
    },
  };
}

/** Sum per-CPU values: bigints, numbers, or objects of them (counter structs). */
export function sumPerCpu<V>(values: readonly V[]): V {
  if (values.length === 0) throw new TypeError('sumPerCpu: no values');
  const first = values[0]!;
  if (typeof first === 'bigint') return values.reduce((a, b) => ((a as bigint) + (b as bigint)) as V);
  if (typeof first === 'number') return values.reduce((a, b) => ((a as number) + (b as number)) as V);
  const total: Record<string, unknown> = { ...(first as Record<string, unknown>) };
  /* Array fields (a counter per reason) sum element by element, into a copy: the first CPU's value stays as read. */
  for (const [field, x] of Object.entries(total)) if (x instanceof BigUint64Array) total[field] = x.slice();
  for (const v of values.slice(1)) {
    for (const [field, x] of Object.entries(v as Record<string, unknown>)) {
      if (typeof x === 'bigint') total[field] = (total[field] as bigint) + x;
      else if (typeof x === 'number') total[field] = (total[field] as number) + x;
      else if (x instanceof BigUint64Array) {
        const sum = total[field] as BigUint64Array;
        for (let i = 0; i < sum.length; i++) sum[i]! += x[i] ?? 0n;
      }
    }
  }
  return total as V;
}

export class BpfMap<K, V> {
  readonly name: string;
  readonly type: number;
  readonly keySize: number;
  /** Bytes of one value as user space sees it (all CPUs for a per-CPU map). */
  readonly valueBytes: number;
  readonly maxEntries: number;
  readonly #fd: number;
  readonly #owner: FdOwner;
  readonly #key: Codec<K>;
  readonly #value: Codec<V>;
  readonly #keyScratch: Buffer;
  readonly #valueScratch: Buffer;
  #batchUnsupported = false;

  constructor(info: MapInfo, keyCodec: Codec<K>, valueCodec: Codec<V>, owner: FdOwner) {
    this.name = info.name;
    this.type = info.type;
    this.keySize = info.keySize;
    this.maxEntries = info.maxEntries;
    this.valueBytes = valueCodec.size;
    this.#fd = info.fd;
    this.#owner = owner;
    this.#key = keyCodec;
    this.#value = valueCodec;
    this.#keyScratch = Buffer.alloc(info.keySize);
    this.#valueScratch = Buffer.alloc(valueCodec.size);
  }

  get fd(): number {
    if (this.#owner.closed) {
      throw new DataplaneError({ call: 'bpf_map', subject: this.#subject(), errno: EBADF, detail: 'the data plane that owned this map was closed' });
    }
    return this.#fd;
  }

  get isPerCpu(): boolean {
    return isPerCpuMapType(this.type);
  }

  #subject(extra?: string): string {
    return extra ? `map "${this.name}", ${extra}` : `map "${this.name}"`;
  }

  #fail(call: string, ret: number, extra?: string): never {
    throw new DataplaneError({ call, subject: this.#subject(extra), errno: -ret });
  }

  #encodeKey(key: K): Buffer {
    this.#key.encodeInto(key, this.#keyScratch, 0);
    return this.#keyScratch;
  }

  /* ---- Typed access ---- */

  /** The value, or undefined when the key is absent. */
  lookup(key: K): V | undefined {
    const raw = this.lookupBytes(this.#encodeKey(key));
    return raw === undefined ? undefined : this.#value.decodeFrom(raw, 0);
  }

  update(key: K, value: V, flags: UpdateFlag = UpdateFlag.ANY): void {
    this.#value.encodeInto(value, this.#valueScratch, 0);
    this.updateBytes(this.#encodeKey(key), this.#valueScratch, flags);
  }

  /** True if the key was there. */
  delete(key: K): boolean {
    return this.deleteBytes(this.#encodeKey(key));
  }

  /** Every key, by bpf_map_get_next_key. Keys deleted meanwhile may restart a hash walk; that is the kernel's contract. */
  *keys(): IterableIterator<K> {
    const fd = this.fd;
    let current: Buffer | null = null;
    for (;;) {
      const next = Buffer.alloc(this.keySize);
      const ret = libbpf.bpf_map_get_next_key(fd, current, next);
      if (ret === -ENOENT) return;
      if (ret < 0) this.#fail('bpf_map_get_next_key', ret);
      yield this.#key.decodeFrom(next, 0);
      current = next;
    }
  }

  /**
   * Every entry. Uses bpf_map_lookup_batch (one syscall per `batchSize`
   * entries, so a million flows read in well under a second) and falls back
   * to get_next_key + lookup where the kernel has no batch op.
   */
  *entries(options: { batchSize?: number } = {}): IterableIterator<[K, V]> {
    for (const [rawKeys, rawValues, count] of this.rawBatches(options.batchSize)) {
      /* One copy per chunk: decoded addresses are views, and the batch buffers get reused. */
      const keys = Buffer.from(rawKeys.subarray(0, count * this.keySize));
      const values = Buffer.from(rawValues.subarray(0, count * this.valueBytes));
      for (let i = 0; i < count; i++) {
        yield [this.#key.decodeFrom(keys, i * this.keySize), this.#value.decodeFrom(values, i * this.valueBytes)];
      }
    }
  }

  /**
   * An array map's values at keys 0 .. count-1 (fewer past max_entries), in
   * one bpf_map_lookup_batch: many ids' counters for one system call.
   */
  valuesBelow(count: number): V[] {
    const values: V[] = [];
    this.rawValuesBelow(count, (raw, at) => values.push(this.#value.decodeFrom(raw, at)));
    return values;
  }

  /** valuesBelow's raw bytes: `visit` gets each value's buffer and offset, valid only during the call. */
  protected rawValuesBelow(count: number, visit: (raw: Buffer, at: number) => void): void {
    if (this.type !== BpfMapType.ARRAY && this.type !== BpfMapType.PERCPU_ARRAY) {
      throw new DataplaneError({ call: 'bpf_map_lookup_batch', subject: this.#subject(), errno: EINVAL, detail: 'valuesBelow reads array maps only' });
    }
    const wanted = Math.min(Math.max(0, Math.floor(count)), this.maxEntries);
    let seen = 0;
    if (wanted === 0) return;
    for (const [, raw, got] of this.rawBatches(wanted)) {
      /* A copy: decoded addresses are views, and the batch buffers get reused. */
      const chunk = Buffer.from(raw.subarray(0, got * this.valueBytes));
      for (let i = 0; i < got && seen < wanted; i++, seen++) visit(chunk, i * this.valueBytes);
      if (seen >= wanted) return;
    }
  }

  *values(options: { batchSize?: number } = {}): IterableIterator<V> {
    for (const [, value] of this.entries(options)) yield value;
  }

  /**
   * Write many entries in one bpf_map_update_batch call (create or replace:
   * the kernel takes no BPF_NOEXIST/BPF_EXIST for batches).
   */
  updateMany(entries: Iterable<readonly [K, V]>): number {
    const list = Array.from(entries);
    if (list.length === 0) return 0;
    const keys = Buffer.alloc(list.length * this.keySize);
    const values = Buffer.alloc(list.length * this.valueBytes);
    list.forEach(([k, v], i) => {
      this.#key.encodeInto(k, keys, i * this.keySize);
      this.#value.encodeInto(v, values, i * this.valueBytes);
    });
    const count = new Uint32Array([list.length]);
    const ret = libbpf.bpf_map_update_batch(this.fd, keys, values, count, BATCH_OPTS);
    if (ret < 0) this.#fail('bpf_map_update_batch', ret, `${count[0]} of ${list.length} written`);
    return count[0]!;
  }

  /** Delete many keys with bpf_map_delete_batch (hash maps). Stops at the first absent key with ENOENT. */
  deleteMany(keysToDelete: Iterable<K>): number {
    const list = Array.from(keysToDelete);
    if (list.length === 0) return 0;
    const keys = Buffer.alloc(list.length * this.keySize);
    list.forEach((k, i) => this.#key.encodeInto(k, keys, i * this.keySize));
    const count = new Uint32Array([list.length]);
    const ret = libbpf.bpf_map_delete_batch(this.fd, keys, count, BATCH_OPTS);
    if (ret < 0) this.#fail('bpf_map_delete_batch', ret, `${count[0]} of ${list.length} deleted`);
    return count[0]!;
  }

  /* ---- Raw bytes (sizes are checked here: the kernel reads key_size bytes from any pointer) ---- */

  #checkSize(call: string, what: 'key' | 'value', buf: Uint8Array, expected: number): void {
    if (buf.byteLength !== expected) {
      const limit = what === 'key' ? `key_size is ${expected}` : `values are ${expected} bytes`;
      throw new DataplaneError({
        call,
        subject: this.#subject(),
        errno: EINVAL,
        detail: `${what} is ${buf.byteLength} bytes but the map's ${limit}`,
      });
    }
  }

  lookupBytes(key: Buffer): Buffer | undefined {
    this.#checkSize('bpf_map_lookup_elem', 'key', key, this.keySize);
    const value = Buffer.alloc(this.valueBytes);
    const ret = libbpf.bpf_map_lookup_elem(this.fd, key, value);
    if (ret === -ENOENT) return undefined;
    if (ret < 0) this.#fail('bpf_map_lookup_elem', ret);
    return value;
  }

  updateBytes(key: Buffer, value: Buffer, flags: UpdateFlag = UpdateFlag.ANY): void {
    this.#checkSize('bpf_map_update_elem', 'key', key, this.keySize);
    this.#checkSize('bpf_map_update_elem', 'value', value, this.valueBytes);
    const ret = libbpf.bpf_map_update_elem(this.fd, key, value, flags);
    if (ret < 0) this.#fail('bpf_map_update_elem', ret, UPDATE_FLAG_NAMES[flags] ?? `flags ${flags}`);
  }

  deleteBytes(key: Buffer): boolean {
    this.#checkSize('bpf_map_delete_elem', 'key', key, this.keySize);
    const ret = libbpf.bpf_map_delete_elem(this.fd, key);
    if (ret === -ENOENT) return false;
    if (ret < 0) this.#fail('bpf_map_delete_elem', ret);
    return true;
  }

  /**
   * Raw chunks of [keys, values, count]. The buffers are reused between
   * chunks (and, with `buffers`, between reads): decode before asking for
   * the next one.
   */
  *rawBatches(batchSize = DEFAULT_BATCH, buffers?: BatchBuffers): IterableIterator<[Buffer, Buffer, number]> {
    if (this.#batchUnsupported) {
      yield* this.#rawBatchesByNextKey(batchSize);
      return;
    }
    const fd = this.fd;
    let size = Math.max(1, Math.min(batchSize, this.maxEntries));
    const kept = buffers && !buffers.inUse ? buffers : undefined;
    let [keys, values] = kept
      ? kept.take(size * this.keySize, size * this.valueBytes)
      : [Buffer.alloc(size * this.keySize), Buffer.alloc(size * this.valueBytes)];
    /* The batch cursor is opaque: a bucket index for hashes, a key for arrays. */
    const tokenSize = Math.max(8, this.keySize);
    let inBatch: Buffer | null = null;
    let outBatch = Buffer.alloc(tokenSize);
    const count = new Uint32Array(1);
    try {
      for (let first = true; ; first = false) {
        count[0] = size;
        const ret = libbpf.bpf_map_lookup_batch(fd, inBatch, outBatch, keys, values, count, BATCH_OPTS);
        if (first && (ret === -ENOTSUPP || ret === -EOPNOTSUPP || ret === -EINVAL)) {
          this.#batchUnsupported = true;
          yield* this.#rawBatchesByNextKey(batchSize);
          return;
        }
        if (ret === -ENOSPC && count[0] === 0) {
          /* One hash bucket holds more entries than fit: retry the same cursor with room for them. */
          size *= 2;
          [keys, values] = kept
            ? kept.take(size * this.keySize, size * this.valueBytes)
            : [Buffer.alloc(size * this.keySize), Buffer.alloc(size * this.valueBytes)];
          continue;
        }
        if (ret < 0 && ret !== -ENOENT) this.#fail('bpf_map_lookup_batch', ret);
        if (count[0]! > 0) yield [keys, values, count[0]!];
        if (ret === -ENOENT) return;
        inBatch = outBatch;
        outBatch = Buffer.alloc(tokenSize);
      }
    } finally {
      if (kept) kept.inUse = false;
    }
  }

  *#rawBatchesByNextKey(batchSize: number): IterableIterator<[Buffer, Buffer, number]> {
    const fd = this.fd;
    const keys = Buffer.alloc(batchSize * this.keySize);
    const values = Buffer.alloc(batchSize * this.valueBytes);
    let current: Buffer | null = null;
    let n = 0;
    for (;;) {
      const next = Buffer.alloc(this.keySize);
      const ret = libbpf.bpf_map_get_next_key(fd, current, next);
      if (ret === -ENOENT) break;
      if (ret < 0) this.#fail('bpf_map_get_next_key', ret);
      current = next;
      const value = values.subarray(n * this.valueBytes, (n + 1) * this.valueBytes);
      const found = libbpf.bpf_map_lookup_elem(fd, next, value);
      if (found === -ENOENT) continue; /* deleted between the two calls */
      if (found < 0) this.#fail('bpf_map_lookup_elem', found);
      next.copy(keys, n * this.keySize);
      if (++n === batchSize) {
        yield [keys, values, n];
        n = 0;
      }
    }
    if (n > 0) yield [keys, values, n];
  }

  describe(): string {
    return `${mapTypeName(this.type)} "${this.name}" (key ${this.keySize} B, value ${this.valueBytes} B, max ${this.maxEntries})`;
  }
}

/** A per-CPU map: each value is an array with one entry per possible CPU. */
export class PerCpuMap<K, V> extends BpfMap<K, V[]> {
  readonly cpus: number;

  readonly #inner: Codec<V>;
  /* Bytes between CPUs' copies: the kernel aligns each to 8. */
  readonly #stride: number;

  constructor(info: MapInfo, keyCodec: Codec<K>, valueCodec: Codec<V>, owner: FdOwner, cpus = numPossibleCpus()) {
    super(info, keyCodec, perCpuCodec(valueCodec, cpus), owner);
    this.cpus = cpus;
    this.#inner = valueCodec;
    this.#stride = Math.ceil(valueCodec.size / 8) * 8;
  }

  /** The value summed over all CPUs, or undefined when the key is absent. */
  lookupSum(key: K): V | undefined {
    const perCpu = this.lookup(key);
    return perCpu === undefined ? undefined : sumPerCpu(perCpu);
  }

  /** Write the same value on every CPU (e.g. zero to reset a counter). */
  updateAllCpus(key: K, value: V, flags: UpdateFlag = UpdateFlag.ANY): void {
    this.update(key, new Array<V>(this.cpus).fill(value), flags);
  }

  /**
   * valuesBelow, each summed over CPUs. A counter struct (Codec.u64Words) is
   * summed word by word from the raw bytes and decoded once, not once per CPU
   * (4,094 backends' counters every second: a third of the sampler's time went
   * to decoding copies only to add them up). Sums wrap at 2^64 as the
   * counters themselves do.
   */
  sumsBelow(count: number): V[] {
    if (!this.#inner.u64Words) return this.valuesBelow(count).map(sumPerCpu);
    const words = this.#inner.size / 8;
    const stride = this.#stride / 8;
    const sum = new BigUint64Array(words);
    const sumBytes = Buffer.from(sum.buffer);
    const sums: V[] = [];
    this.rawValuesBelow(count, (raw, at) => {
      const words64 = stride * this.cpus;
      /* A typed view needs 8-byte alignment; Node's buffers have it, a copy covers any that does not. */
      const perCpu =
        (raw.byteOffset + at) % 8 === 0
          ? new BigUint64Array(raw.buffer, raw.byteOffset + at, words64)
          : new BigUint64Array(new Uint8Array(raw.subarray(at, at + words64 * 8)).buffer);
      sum.fill(0n);
      for (let cpu = 0; cpu < this.cpus; cpu++) for (let w = 0; w < words; w++) sum[w]! += perCpu[cpu * stride + w]!;
      sums.push(this.#inner.decodeFrom(sumBytes, 0));
    });
    return sums;
  }

  /** Every entry summed over CPUs. */
  *sums(options: { batchSize?: number } = {}): IterableIterator<[K, V]> {
    for (const [key, perCpu] of this.entries(options)) yield [key, sumPerCpu(perCpu)];
  }
}
