/*
 * Upgrades keep every flow: a new build takes over a running data plane whose
 * pinned maps have another layout (a field added, dropped or widened, a
 * different max_entries or flags) by copying their contents into maps of its
 * own layout, instead of refusing or starting empty.
 *
 * Where the old layout comes from: the kernel. libbpf creates every map of a
 * BTF-defined object with the object's BTF and the key/value type ids, and the
 * kernel keeps that BTF alive as long as the map is (bpf_map_info.btf_id). So
 * the layout of a pinned map is read from the map itself: it cannot be lost,
 * cannot disagree with the map, and needs no file (a bpffs holds none) beside
 * the pins. A pinned map created without BTF (not by a libbpf build of ours)
 * is refused when its definition differs, never silently reset.
 *
 * The order, so that no flow is lost and nothing changes until it can succeed:
 * 1. before load (plan): each pinned map whose definition or BTF layout differs
 *    from the object's is not reused (libbpf creates it anew, unpinned); its
 *    conversion is planned field by field (convert.ts) and refused here, with
 *    the field named, before anything is created.
 * 2. after load (copyFirst): every entry of the old map is converted into the
 *    new one. The old data plane keeps running on the old maps meanwhile.
 * 3. the caller swaps the program on every interface atomically (XDP replace).
 * 4. finish: the new maps are pinned over the old names (pin at `<name>__upgrade`,
 *    rename over: there is never a moment with no pin), then a second pass
 *    copies what the old program changed between step 2 and its last packet:
 *    entries that appeared, and entries that changed where the new program has
 *    not touched them yet; per-CPU counters get the old program's increments
 *    added (they only grow). Then the old maps are let go.
 * A failure before step 3 leaves the running data plane as it was. Flows the
 * old program ended (deleted) between 2 and 3 stay until the conntrack GC.
 */
import { renameSync, rmSync } from 'node:fs';
import koffi from 'koffi';
import { constants as osConstants } from 'node:os';
import { Btf, type Shape } from './btf.js';
import { type Conversion, ConversionRefused, planConversion } from './convert.js';
import { DataplaneError, checked, checkedPointer } from './errors.js';
import { c } from './libc.js';
import { type BpfMapPtr, type BpfObjectPtr, BpfMapType, UpdateFlag, isPerCpuMapType, libbpf, mapTypeName } from './libbpf.js';
import { BpfMap, numPossibleCpus } from './maps.js';
import { type MigrationRule, rulesFor } from './migration-rules.js';

const { ENOENT, EEXIST, EINVAL } = osConstants.errno;

/* Entries per batch syscall, read and written. */
const WRITE_BATCH = 65536;
const BATCH_OPTS = { sz: 24, elem_flags: 0, flags: 0 };

/* struct bpf_map_info up to and including btf_value_type_id (linux/bpf.h). */
const MAP_INFO_SIZE = 80;

/** A map's definition, as the kernel or libbpf (before load) has it. */
export interface MapDefinition {
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  /** 0 when the map was created without BTF. */
  btfId: number;
  keyTypeId: number;
  valueTypeId: number;
}

/** Opens a pinned map; the caller closes the fd. */
export function openPinnedMap(path: string, name: string): { fd: number; def: MapDefinition } {
  const fd = checked('bpf_obj_get', `map "${name}", "${path}"`, () => libbpf.bpf_obj_get(path));
  try {
    const info = Buffer.alloc(MAP_INFO_SIZE);
    checked('bpf_obj_get_info_by_fd', `map "${name}", "${path}"`, () => libbpf.bpf_obj_get_info_by_fd(fd, info, new Uint32Array([MAP_INFO_SIZE])));
    return {
      fd,
      def: {
        type: info.readUInt32LE(0),
        keySize: info.readUInt32LE(8),
        valueSize: info.readUInt32LE(12),
        maxEntries: info.readUInt32LE(16),
        flags: info.readUInt32LE(20),
        btfId: info.readUInt32LE(64),
        keyTypeId: info.readUInt32LE(68),
        valueTypeId: info.readUInt32LE(72),
      },
    };
  } catch (err) {
    c.close(fd);
    throw err;
  }
}

export function objectMapDefinition(map: BpfMapPtr): Omit<MapDefinition, 'btfId'> {
  return {
    type: libbpf.bpf_map__type(map),
    keySize: libbpf.bpf_map__key_size(map),
    valueSize: libbpf.bpf_map__value_size(map),
    maxEntries: libbpf.bpf_map__max_entries(map),
    flags: libbpf.bpf_map__map_flags(map),
    keyTypeId: libbpf.bpf_map__btf_key_type_id(map),
    valueTypeId: libbpf.bpf_map__btf_value_type_id(map),
  };
}

function rawBtf(ptr: bigint, subject: string): Btf {
  const size: [number] = [0];
  const data = checkedPointer('btf__raw_data', subject, () => libbpf.btf__raw_data(ptr as never, size));
  return new Btf(Buffer.from(koffiBytes(data, size[0])));
}

function koffiBytes(ptr: bigint, length: number): Uint8Array {
  return Uint8Array.from(koffi.decode(ptr, 'uint8_t', length) as number[]);
}

/** The BTF the kernel keeps for a map created with btf_id `id`. */
export function kernelBtf(id: number): Btf {
  const ptr = checkedPointer('btf__load_from_kernel_by_id', `BTF id ${id}`, () => libbpf.btf__load_from_kernel_by_id(id));
  try {
    return rawBtf(ptr, `BTF id ${id}`);
  } finally {
    libbpf.btf__free(ptr);
  }
}

/** The BTF of an opened object (owned by the object). */
export function objectBtf(obj: BpfObjectPtr, subject: string): Btf {
  return rawBtf(
    checkedPointer('bpf_object__btf', subject, () => libbpf.bpf_object__btf(obj)),
    subject,
  );
}

const isArrayType = (type: number) => type === BpfMapType.ARRAY || type === BpfMapType.PERCPU_ARRAY;

function sameShape(a: Shape, b: Shape): boolean {
  return a.size === b.size && JSON.stringify(a.fields) === JSON.stringify(b.fields);
}

function describeDefinition(d: Omit<MapDefinition, 'btfId'>, shapes?: { key: Shape; value: Shape }): string {
  const types = shapes ? ` ${shapes.key.typeName} -> ${shapes.value.typeName}` : '';
  return `${mapTypeName(d.type)} key ${d.keySize} B value ${d.valueSize} B max_entries ${d.maxEntries} flags 0x${d.flags.toString(16)}${types}`;
}

/** One pinned map to carry over into the new build's map of the same name. */
export class MapMigration {
  /* The old entries as the first pass read them, by key bytes: what the second pass compares with. */
  #snapshot = new Map<string, Buffer>();
  #oldOwner = { closed: false };
  #newFd = -1;
  copied = 0;
  secondPass = 0;

  constructor(
    readonly name: string,
    readonly pinPath: string,
    readonly oldFd: number,
    readonly oldDef: MapDefinition,
    readonly newDef: Omit<MapDefinition, 'btfId'>,
    readonly key: Conversion,
    readonly value: Conversion,
    readonly valueShape: Shape,
    readonly oldValueShape: Shape,
    readonly rules: readonly MigrationRule[] = [],
  ) {}

  /** Old entries that a rule says have no counterpart in the new layout are not carried. */
  #keep(key: Buffer, value: Buffer): boolean {
    return this.rules.every((r) => !r.keepEntry || r.keepEntry(key, value, this.oldValueShape));
  }

  get perCpu(): boolean {
    return isPerCpuMapType(this.newDef.type);
  }

  /** What changed, for the log. */
  describe(): string {
    const parts: string[] = [];
    for (const [label, s] of [
      ['key', this.key.summary],
      ['value', this.value.summary],
    ] as const) {
      for (const [what, fields] of Object.entries(s)) {
        if (what !== 'copied' && fields.length > 0) parts.push(`${label} ${what} ${fields.map((f) => f || '(scalar)').join(', ')}`);
      }
    }
    if (this.oldDef.maxEntries !== this.newDef.maxEntries) parts.push(`max_entries ${this.oldDef.maxEntries} -> ${this.newDef.maxEntries}`);
    if (this.oldDef.flags !== this.newDef.flags) parts.push(`flags 0x${this.oldDef.flags.toString(16)} -> 0x${this.newDef.flags.toString(16)}`);
    if (this.oldDef.type !== this.newDef.type) parts.push(`${mapTypeName(this.oldDef.type)} -> ${mapTypeName(this.newDef.type)}`);
    for (const rule of this.rules) parts.push(`rule: ${rule.description}`);
    return `map "${this.name}": ${parts.join('; ') || 'same layout'}`;
  }

  #stride(def: { valueSize: number }): number {
    return this.perCpu ? Math.ceil(def.valueSize / 8) * 8 : def.valueSize;
  }
  #valueBytes(def: { valueSize: number }): number {
    return this.perCpu ? this.#stride(def) * numPossibleCpus() : def.valueSize;
  }

  /** Old value bytes (all CPUs) -> new value bytes (all CPUs), into `out` (or a new buffer). */
  #convertValue(old: Buffer, out = Buffer.alloc(this.#valueBytes(this.newDef))): Buffer {
    const cpus = this.perCpu ? numPossibleCpus() : 1;
    const oldStride = this.#stride(this.oldDef);
    const newStride = this.#stride(this.newDef);
    for (let cpu = 0; cpu < cpus; cpu++) {
      this.value.convert(
        old.subarray(cpu * oldStride, cpu * oldStride + this.oldDef.valueSize),
        out.subarray(cpu * newStride, cpu * newStride + this.newDef.valueSize),
      );
    }
    return out;
  }

  #convertKey(old: Buffer, out = Buffer.alloc(this.newDef.keySize)): Buffer {
    this.key.convert(old, out);
    return out;
  }

  /**
   * Every (key, value) of the old map, read in batches (a 1M-flow table in a
   * few dozen syscalls). The buffers are reused: copy what must outlive the step.
   */
  *#oldEntries(): Generator<[Buffer, Buffer]> {
    const keySize = this.oldDef.keySize;
    const valueBytes = this.#valueBytes(this.oldDef);
    const raw = (size: number) => ({ size, encodeInto() {}, decodeFrom: () => undefined });
    const map = new BpfMap<unknown, unknown>(
      { name: this.name, fd: this.oldFd, type: this.oldDef.type, keySize, valueSize: this.oldDef.valueSize, maxEntries: this.oldDef.maxEntries },
      raw(keySize),
      raw(valueBytes),
      this.#oldOwner,
    );
    for (const [keys, values, count] of map.rawBatches(WRITE_BATCH)) {
      for (let i = 0; i < count; i++) yield [keys.subarray(i * keySize, (i + 1) * keySize), values.subarray(i * valueBytes, (i + 1) * valueBytes)];
    }
  }

  #write(key: Buffer, value: Buffer, flags: number, oldKey: Buffer): number {
    if (this.#outOfRange(oldKey, value)) return 0;
    const rc = libbpf.bpf_map_update_elem(this.#newFd, key, value, flags);
    if (rc === -EEXIST && flags === UpdateFlag.NOEXIST) return rc;
    return checked('bpf_map_update_elem', `map "${this.name}" (new build)`, () => rc);
  }

  /* An array that shrank: only an all-zero slot may be left behind. */
  #outOfRange(oldKey: Buffer, value: Buffer): boolean {
    if (!isArrayType(this.newDef.type) || oldKey.readUInt32LE(0) < this.newDef.maxEntries) return false;
    if (value.every((b) => b === 0)) return true;
    throw new DataplaneError({
      call: 'migrate',
      subject: `map "${this.name}"`,
      errno: osConstants.errno.E2BIG,
      detail: `slot ${oldKey.readUInt32LE(0)} holds data but the new map has only ${this.newDef.maxEntries} entries; start the new build with a larger size for this map`,
    });
  }

  /** Step 2: every old entry into the new map, written in batches. */
  copyFirst(newFd: number): void {
    this.#newFd = newFd;
    const keySize = this.newDef.keySize;
    const valueBytes = this.#valueBytes(this.newDef);
    const keys = Buffer.alloc(WRITE_BATCH * keySize);
    const values = Buffer.alloc(WRITE_BATCH * valueBytes);
    let n = 0;
    const flush = () => {
      if (n === 0) return;
      const count = new Uint32Array([n]);
      checked('bpf_map_update_batch', `map "${this.name}" (new build), ${n} entries`, () =>
        libbpf.bpf_map_update_batch(newFd, keys, values, count, BATCH_OPTS),
      );
      this.copied += n;
      n = 0;
    };
    const isArray = isArrayType(this.newDef.type);
    for (const [key, value] of this.#oldEntries()) {
      this.#snapshot.set(key.toString('latin1'), Buffer.from(value));
      if (!this.#keep(key, value)) continue;
      const out = values.subarray(n * valueBytes, (n + 1) * valueBytes);
      out.fill(0);
      this.#convertValue(value, out);
      /* A new array starts all zero: only slots that hold something are written (a 67 MB table of mostly free slots). */
      if (isArray && (out.every((b) => b === 0) || this.#outOfRange(key, out))) continue;
      this.#convertKey(key, keys.subarray(n * keySize, (n + 1) * keySize));
      if (++n === WRITE_BATCH) flush();
    }
    flush();
  }

  /** Step 4 (after the program swap): pin the new map at the name, then copy what the old program changed. */
  finish(): void {
    /* bpffs refuses names with a dot. */
    const staging = `${this.pinPath}__upgrade`;
    rmSync(staging, { force: true });
    checked('bpf_obj_pin', `map "${this.name}", "${staging}"`, () => libbpf.bpf_obj_pin(this.#newFd, staging));
    renameSync(staging, this.pinPath);

    for (const [key, now] of this.#oldEntries()) {
      const first = this.#snapshot.get(key.toString('latin1'));
      if (first?.equals(now) || !this.#keep(key, now)) continue;
      const newKey = this.#convertKey(key);
      const converted = this.#convertValue(now);
      if (!first) {
        /* Appeared after the first pass; if the new program already made it, the new one is newer. */
        if (this.#write(newKey, converted, UpdateFlag.NOEXIST, key) === 0) this.secondPass++;
        continue;
      }
      const current = Buffer.alloc(converted.length);
      const rc = libbpf.bpf_map_lookup_elem(this.#newFd, newKey, current);
      if (rc === -ENOENT) continue; /* ended in the new data plane meanwhile */
      checked('bpf_map_lookup_elem', `map "${this.name}" (new build)`, () => rc);
      const was = this.#convertValue(first);
      if (current.equals(was)) {
        this.#write(newKey, converted, UpdateFlag.EXIST, key);
      } else if (this.perCpu) {
        this.#write(newKey, this.#addIncrements(current, was, converted), UpdateFlag.EXIST, key);
      } else {
        continue; /* both programs changed it: the new program's view is the newer one */
      }
      this.secondPass++;
    }
    this.#snapshot.clear();
    this.#oldOwner.closed = true;
    c.close(this.oldFd);
  }

  /** Per-CPU counters only grow: current + (old now - old at the first pass), integer field by field. */
  #addIncrements(current: Buffer, was: Buffer, now: Buffer): Buffer {
    const out = Buffer.from(current);
    const stride = this.#stride(this.newDef);
    for (let cpu = 0; cpu < numPossibleCpus(); cpu++) {
      for (const f of this.valueShape.fields) {
        if (f.kind !== 'int' || f.bigEndian || f.width !== 8) continue;
        for (let i = 0; i < f.count; i++) {
          const at = cpu * stride + f.offset + i * 8;
          out.writeBigUInt64LE(BigInt.asUintN(64, current.readBigUInt64LE(at) + now.readBigUInt64LE(at) - was.readBigUInt64LE(at)), at);
        }
      }
    }
    return out;
  }

  /** Abandon (load failed or the swap did not happen): the old map stays pinned and in use. */
  abandon(): void {
    this.#snapshot.clear();
    this.#oldOwner.closed = true;
    c.close(this.oldFd);
  }
}

/**
 * Decides, for one map of the object that has a pin, whether the pin can be
 * reused as it is (undefined) or must be migrated (a MapMigration; the pin
 * must then not be handed to libbpf). Throws, naming the field or the
 * reason, when the old map cannot be carried over.
 */
export function planMapMigration(name: string, pinPath: string, map: BpfMapPtr, newBtf: Btf): MapMigration | undefined {
  const pinned = openPinnedMap(pinPath, name);
  let migration: MapMigration | undefined;
  try {
    const oldDef = pinned.def;
    const newDef = objectMapDefinition(map);
    const subject = `map "${name}"`;
    const refuse = (detail: string): never => {
      throw new DataplaneError({
        call: 'migrate',
        subject,
        errno: EINVAL,
        detail: `${detail}; to start over instead, detach and unpin the old data plane (\`sluice teardown --interfaces ...\`), which ends its tracked flows`,
      });
    };
    const sameDefinition =
      oldDef.type === newDef.type &&
      oldDef.keySize === newDef.keySize &&
      oldDef.valueSize === newDef.valueSize &&
      oldDef.maxEntries === newDef.maxEntries &&
      oldDef.flags === newDef.flags;
    if (oldDef.btfId === 0 || oldDef.valueTypeId === 0) {
      /* Nothing says how to read it: reuse it only if it is plainly the same map. */
      if (sameDefinition) return undefined;
      refuse(
        `the pinned map (${describeDefinition(oldDef)}) differs from this build's (${describeDefinition(newDef)}) and carries no BTF to say how to read its entries (it was not created by a libbpf build of Sluice)`,
      );
    }
    if (newDef.keyTypeId === 0 || newDef.valueTypeId === 0) refuse("this build's object has no BTF for the map's key and value; build bpf/ with -g");
    const oldBtf = kernelBtf(oldDef.btfId);
    const oldShapes = { key: oldBtf.shape(oldDef.keyTypeId), value: oldBtf.shape(oldDef.valueTypeId) };
    const newShapes = { key: newBtf.shape(newDef.keyTypeId), value: newBtf.shape(newDef.valueTypeId) };
    if (sameDefinition && sameShape(oldShapes.key, newShapes.key) && sameShape(oldShapes.value, newShapes.value)) return undefined;

    if (isPerCpuMapType(oldDef.type) !== isPerCpuMapType(newDef.type) || isArrayType(oldDef.type) !== isArrayType(newDef.type)) {
      refuse(`the pinned map is ${mapTypeName(oldDef.type)} and this build's is ${mapTypeName(newDef.type)}; no rule carries entries between those kinds`);
    }
    const rules = rulesFor(name, oldShapes.value);
    const converters = Object.assign({}, ...rules.map((r) => r.valueFields));
    let key: Conversion;
    let value: Conversion;
    try {
      key = planConversion(oldShapes.key, newShapes.key, `${subject} key`);
      value = planConversion(oldShapes.value, newShapes.value, `${subject} value`, converters);
    } catch (err) {
      if (err instanceof ConversionRefused) throw new DataplaneError({ call: 'migrate', subject, errno: EINVAL, detail: err.message });
      throw err;
    }
    migration = new MapMigration(name, pinPath, pinned.fd, oldDef, newDef, key, value, newShapes.value, oldShapes.value, rules);
    return migration;
  } finally {
    /* The old map's fd stays open only while a migration needs it. */
    if (!migration) c.close(pinned.fd);
  }
}
