/*
 * The shape of a map's key or value, read from raw BTF: every scalar it holds
 * as a named leaf (`next_hop_ifindex`, `addr`, `a.b` for a nested struct),
 * with its offset, width and kind. Migration (migrate.ts) converts pinned
 * entries of an older build by these names, so it needs no knowledge of any
 * one struct: whatever the data plane adds or drops later is handled alike.
 *
 * Raw BTF comes either from an object being loaded (bpf_object__btf) or from
 * the kernel, by the btf_id a pinned map was created with: the kernel keeps
 * that BTF as long as the map lives, so an old build's layout cannot be lost
 * or go stale while its maps are pinned.
 */

const BTF_MAGIC = 0xeb9f;

const KIND = {
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;

/* Bytes that follow the 12-byte common part of each kind, per vlen item or once. */
const EXTRA_ONCE: Record<number, number> = { [KIND.INT]: 4, [KIND.ARRAY]: 12, [KIND.VAR]: 4, [KIND.DECL_TAG]: 4 };
const EXTRA_PER_ITEM: Record<number, number> = {
  [KIND.STRUCT]: 12,
  [KIND.UNION]: 12,
  [KIND.ENUM]: 8,
  [KIND.FUNC_PROTO]: 8,
  [KIND.DATASEC]: 12,
  [KIND.ENUM64]: 12,
};

interface RawType {
  kind: number;
  name: string;
  vlen: number;
  kindFlag: boolean;
  /** size for INT/STRUCT/UNION/ENUM/FLOAT, referenced type id otherwise */
  sizeOrType: number;
  /** offset of the kind-specific data in the type section */
  extra: number;
}

export class Btf {
  readonly #types: RawType[] = [undefined as unknown as RawType]; /* type id 0 is void */
  readonly #data: Buffer;
  readonly #strOff: number;
  readonly #strLen: number;
  readonly #typeOff: number;

  constructor(raw: Buffer) {
    if (raw.length < 24 || raw.readUInt16LE(0) !== BTF_MAGIC) throw new Error('not raw BTF (bad magic)');
    const hdrLen = raw.readUInt32LE(4);
    this.#data = raw;
    this.#typeOff = hdrLen + raw.readUInt32LE(8);
    const typeLen = raw.readUInt32LE(12);
    this.#strOff = hdrLen + raw.readUInt32LE(16);
    this.#strLen = raw.readUInt32LE(20);
    for (let at = this.#typeOff; at < this.#typeOff + typeLen; ) {
      const info = raw.readUInt32LE(at + 4);
      const kind = (info >>> 24) & 0x1f;
      const vlen = info & 0xffff;
      if (!(kind >= KIND.INT && kind <= KIND.ENUM64)) throw new Error(`BTF type ${this.#types.length}: unknown kind ${kind}`);
      this.#types.push({
        kind,
        vlen,
        kindFlag: info >>> 31 === 1,
        name: this.#string(raw.readUInt32LE(at)),
        sizeOrType: raw.readUInt32LE(at + 8),
        extra: at + 12,
      });
      at += 12 + (EXTRA_ONCE[kind] ?? 0) + (EXTRA_PER_ITEM[kind] ?? 0) * vlen;
    }
  }

  #string(off: number): string {
    if (off >= this.#strLen) throw new Error(`BTF string offset ${off} out of range`);
    const start = this.#strOff + off;
    return this.#data.toString('latin1', start, this.#data.indexOf(0, start));
  }

  #type(id: number): RawType {
    const t = this.#types[id];
    if (!t) throw new Error(`BTF type id ${id} does not exist`);
    return t;
  }

  /** Name of a type as C spells it (`struct flow_value`, `__u64`). */
  typeName(id: number): string {
    const t = this.#type(id);
    if (t.kind === KIND.STRUCT) return `struct ${t.name}`;
    if (t.kind === KIND.UNION) return `union ${t.name}`;
    if (t.kind === KIND.ENUM || t.kind === KIND.ENUM64) return `enum ${t.name}`;
    if (t.kind === KIND.ARRAY) return `${this.typeName(this.#d(t, 0))}[${this.#d(t, 8)}]`;
    return t.name || `(type ${id})`;
  }

  #d(t: RawType, off: number): number {
    return this.#data.readUInt32LE(t.extra + off);
  }

  /** The variables of a data section (`.rodata`): name, offset in the section, size. Empty when there is no such section. */
  sectionVariables(section: string): SectionVariable[] {
    const sec = this.#types.find((t) => t?.kind === KIND.DATASEC && t.name === section);
    if (!sec) return [];
    const vars: SectionVariable[] = [];
    for (let i = 0; i < sec.vlen; i++) {
      const at = sec.extra + i * 12;
      const v = this.#type(this.#data.readUInt32LE(at));
      vars.push({ name: v.name, offset: this.#data.readUInt32LE(at + 4), size: this.#data.readUInt32LE(at + 8) });
    }
    return vars;
  }

  /** The leaves of type `id`, flattened, with the total size. */
  shape(id: number): Shape {
    const fields: Field[] = [];
    const size = this.#walk(id, '', 0, fields, undefined);
    return { typeName: this.typeName(id), size, fields };
  }

  /** Appends the leaves of type `id` at byte `offset` under `path`; returns its size. */
  #walk(id: number, path: string, offset: number, out: Field[], typedefName: string | undefined): number {
    const t = this.#type(id);
    switch (t.kind) {
      case KIND.TYPEDEF:
        /* __be16/__be32/__be64 are typedefs: the name is the only sign of byte order. */
        return this.#walk(t.sizeOrType, path, offset, out, typedefName ?? t.name);
      case KIND.CONST:
      case KIND.VOLATILE:
      case KIND.RESTRICT:
      case KIND.TYPE_TAG:
        return this.#walk(t.sizeOrType, path, offset, out, typedefName);
      case KIND.INT: {
        const encoding = (this.#d(t, 0) >>> 24) & 0xf;
        const bits = this.#d(t, 0) & 0xff;
        if (bits !== t.sizeOrType * 8) return this.#opaque(path, offset, t.sizeOrType, 'bit-sized integer', out);
        out.push({ path, offset, width: t.sizeOrType, count: 1, kind: 'int', signed: (encoding & 1) === 1, bigEndian: /^__be/.test(typedefName ?? '') });
        return t.sizeOrType;
      }
      case KIND.ENUM:
      case KIND.ENUM64:
        out.push({ path, offset, width: t.sizeOrType, count: 1, kind: 'int', signed: t.kindFlag, bigEndian: false });
        return t.sizeOrType;
      case KIND.ARRAY: {
        const elem = this.#d(t, 0);
        const count = this.#d(t, 8);
        const inner: Field[] = [];
        const width = this.#walk(elem, '', 0, inner, undefined);
        if (inner.length === 1 && inner[0]!.kind === 'int' && inner[0]!.count === 1) {
          out.push({ ...inner[0]!, path, offset, count });
        } else {
          for (let i = 0; i < count; i++) this.#walk(elem, `${path}[${i}]`, offset + i * width, out, undefined);
        }
        return width * count;
      }
      case KIND.STRUCT: {
        for (let i = 0; i < t.vlen; i++) {
          const m = t.extra + i * 12;
          const name = this.#string(this.#data.readUInt32LE(m));
          const type = this.#data.readUInt32LE(m + 4);
          const rawOffset = this.#data.readUInt32LE(m + 8);
          const bitOffset = t.kindFlag ? rawOffset & 0xffffff : rawOffset;
          const memberPath = name === '' ? path : path === '' ? name : `${path}.${name}`;
          if ((t.kindFlag && rawOffset >>> 24 !== 0) || bitOffset % 8 !== 0) {
            this.#opaque(memberPath, offset + Math.floor(bitOffset / 8), 0, 'bitfield', out);
            continue;
          }
          this.#walk(type, memberPath, offset + bitOffset / 8, out, undefined);
        }
        return t.sizeOrType;
      }
      case KIND.UNION:
        /* Which member is live is not in the BTF: a union is carried as bytes, never converted. */
        return this.#opaque(path, offset, t.sizeOrType, 'union', out);
      default:
        return this.#opaque(path, offset, t.sizeOrType, `BTF kind ${t.kind}`, out);
    }
  }

  #opaque(path: string, offset: number, width: number, why: string, out: Field[]): number {
    out.push({ path, offset, width, count: 1, kind: 'opaque', signed: false, bigEndian: false, why });
    return width;
  }
}

export interface Field {
  /** '' for a value that is one scalar (`__u64`), `a.b` for a nested member, `a[1].b` for an array of structs. */
  path: string;
  offset: number;
  /** Bytes of one element. */
  width: number;
  /** Elements: 1 for a scalar, N for an array of scalars. */
  count: number;
  /** opaque: bytes whose meaning the BTF does not tell (union, bitfield); only an identical field carries it. */
  kind: 'int' | 'opaque';
  signed: boolean;
  bigEndian: boolean;
  why?: string;
}

export interface SectionVariable {
  name: string;
  offset: number;
  size: number;
}

export interface Shape {
  typeName: string;
  size: number;
  fields: Field[];
}
