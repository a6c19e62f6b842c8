/*
 * Reads the shared structs and enums out of BTF and renders
 * packages/dataplane/src/generated/layout.ts. Used by gen-layout.ts (to
 * write the file) and by the agent's layout test (to check it is current).
 *
 * Structs come from the compiled program's BTF, because that is what the
 * kernel will use. Enums cannot: clang only emits BTF for an enum that types
 * some variable, and the program uses enum values as plain constants. So the
 * header is also compiled into a throwaway "anchor" object that declares one
 * variable of every struct and enum; enums are read from it, and its structs
 * are compared with the program's to catch an object built from an older header.
 * The header's #define constants (limits, NO_BACKEND, the hash seed) have no
 * BTF at all: the anchor declares an enum whose values are those macros, so
 * the compiler evaluates them (with the build's -D overrides) and the
 * generated file carries the numbers C uses.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { formatGenerated } from './format-generated.js';

export interface BtfMember {
  name: string;
  type_id: number;
  bits_offset: number;
  bitfield_size?: number;
}
export interface BtfType {
  id: number;
  kind: string;
  name: string;
  size?: number;
  type_id?: number;
  nr_elems?: number;
  encoding?: string;
  members?: BtfMember[];
  values?: { name: string; val: number }[];
}

export type ScalarKind = 'u8' | 'u16' | 'u32' | 'u64' | 's8' | 's16' | 's32' | 's64' | 'be16' | 'be32' | 'be64';
export interface MemberModel {
  name: string;
  offset: number;
  kind: ScalarKind;
  length?: number;
}
export interface StructModel {
  name: string;
  size: number;
  members: MemberModel[];
}
export interface EnumModel {
  name: string;
  values: { name: string; value: number }[];
}
export interface ConstantModel {
  name: string;
  value: number;
}

export const GENERATED_HEADER_LINE = '// generated — do not edit; regenerate with `pnpm gen:layout`';

/** `bpftool -j btf dump file <object>`, indexed by type id. */
export function readBtf(objectPath: string): Map<number, BtfType> {
  let json: string;
  try {
    json = execFileSync('bpftool', ['-j', 'btf', 'dump', 'file', objectPath], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`bpftool btf dump file ${objectPath} failed: ${stderr.trim() || (err as Error).message}`);
  }
  const types = (JSON.parse(json) as { types: BtfType[] }).types;
  return new Map(types.map((t) => [t.id, t]));
}

export interface HeaderNames {
  structs: string[];
  enums: string[];
  /** Upper-case object-like macros with a value (`#define NO_BACKEND 0xffff`), once each. */
  constants: string[];
}

/** Struct, enum and constant names defined in the header, in the order they appear. */
export function headerTypeNames(headerText: string): HeaderNames {
  const withoutComments = headerText.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const structs: string[] = [];
  const enums: string[] = [];
  for (const match of withoutComments.matchAll(/\b(struct|enum)\s+(\w+)\s*\{/g)) {
    (match[1] === 'struct' ? structs : enums).push(match[2]!);
  }
  const constants = new Set<string>();
  for (const match of withoutComments.matchAll(/^[ \t]*#[ \t]*define[ \t]+([A-Z][A-Z0-9_]*)[ \t]+\S/gm)) constants.add(match[1]!);
  return { structs, enums, constants: [...constants] };
}

function findNamed(types: Map<number, BtfType>, kind: string, name: string): BtfType | undefined {
  for (const t of types.values()) {
    if (t.name === name && (t.kind === kind || (kind === 'ENUM' && t.kind === 'ENUM64'))) return t;
  }
  return undefined;
}

const NETWORK_TYPEDEF = /^__be(16|32|64)$/;

function scalarKind(width: number, signed: boolean, network: boolean, where: string): ScalarKind {
  const bits = width * 8;
  if (![8, 16, 32, 64].includes(bits)) throw new Error(`${where}: unsupported ${width}-byte integer`);
  if (network) {
    if (bits === 8) throw new Error(`${where}: a network-order type must be 16, 32 or 64 bits`);
    return `be${bits}` as ScalarKind;
  }
  return `${signed ? 's' : 'u'}${bits}` as ScalarKind;
}

/** Follow typedefs and qualifiers to a scalar or an array of scalars. */
function memberKind(types: Map<number, BtfType>, typeId: number, where: string): { kind: ScalarKind; length?: number } {
  let network = false;
  let length: number | undefined;
  let t = types.get(typeId);
  for (;;) {
    if (!t) throw new Error(`${where}: dangling BTF type id ${typeId}`);
    if (t.kind === 'TYPEDEF' || t.kind === 'CONST' || t.kind === 'VOLATILE' || t.kind === 'TYPE_TAG') {
      if (t.kind === 'TYPEDEF' && NETWORK_TYPEDEF.test(t.name)) network = true;
      t = types.get(t.type_id!);
      continue;
    }
    if (t.kind === 'ARRAY') {
      if (length !== undefined) throw new Error(`${where}: nested arrays are not supported`);
      length = t.nr_elems!;
      t = types.get(t.type_id!);
      continue;
    }
    break;
  }
  if (t.kind === 'INT') return { kind: scalarKind(t.size!, t.encoding === 'SIGNED', network, where), length };
  if (t.kind === 'ENUM' || t.kind === 'ENUM64') return { kind: scalarKind(t.size!, false, network, where), length };
  throw new Error(`${where}: unsupported member type ${t.kind} ${t.name}; shared structs hold scalars and arrays of scalars`);
}

export function structModel(types: Map<number, BtfType>, name: string): StructModel | undefined {
  const t = findNamed(types, 'STRUCT', name);
  if (!t) return undefined;
  const members = (t.members ?? []).map((m): MemberModel => {
    const where = `struct ${name}.${m.name}`;
    if (m.bitfield_size || m.bits_offset % 8 !== 0) throw new Error(`${where}: bitfields are not supported`);
    return { name: m.name, offset: m.bits_offset / 8, ...memberKind(types, m.type_id, where) };
  });
  return { name, size: t.size!, members };
}

export function enumModel(types: Map<number, BtfType>, name: string): EnumModel | undefined {
  const t = findNamed(types, 'ENUM', name);
  if (!t) return undefined;
  return { name, values: (t.values ?? []).map((v) => ({ name: v.name, value: v.val })) };
}

const CONSTANTS_ENUM = 'sluice_anchor_constants';
const CONSTANT_PREFIX = 'SLUICE_ANCHOR_';

/**
 * Compile a C file that declares one variable of every struct and enum of the
 * header, and an enum of its constants, so all of them have BTF. Returns the object's BTF.
 */
export function anchorBtf(headerPath: string, names: HeaderNames, extraCflags: string[] = []): Map<number, BtfType> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-btf-anchor-'));
  try {
    const constants = names.constants.map((c) => `\t${CONSTANT_PREFIX}${c} = ${c},`);
    const source = [
      `#include "${basename(headerPath)}"`,
      ...names.structs.map((s, i) => `struct ${s} sluice_anchor_struct_${i};`),
      ...names.enums.map((e, i) => `enum ${e} sluice_anchor_enum_${i};`),
      ...(constants.length > 0 ? [`enum ${CONSTANTS_ENUM} {`, ...constants, '};', `enum ${CONSTANTS_ENUM} sluice_anchor_constants_var;`] : []),
      '',
    ].join('\n');
    writeFileSync(join(dir, 'anchor.c'), source);
    const arch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
    execFileSync(
      'clang',
      [
        '-g',
        '-O2',
        '-target',
        'bpf',
        '-I',
        dirname(headerPath),
        '-I',
        `/usr/include/${arch}-linux-gnu`,
        ...extraCflags,
        '-c',
        join(dir, 'anchor.c'),
        '-o',
        join(dir, 'anchor.o'),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return readBtf(join(dir, 'anchor.o'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface LayoutModel {
  structs: StructModel[];
  enums: EnumModel[];
  constants: ConstantModel[];
}

export interface LayoutSources {
  objectPath: string;
  headerPath: string;
  /** Extra clang flags for the anchor, e.g. the -D limits the object was built with. */
  extraCflags?: string[];
}

export function buildLayoutModel({ objectPath, headerPath, extraCflags }: LayoutSources): LayoutModel {
  const names = headerTypeNames(readFileSync(headerPath, 'utf8'));
  const program = readBtf(objectPath);
  const anchor = anchorBtf(headerPath, names, extraCflags);
  const structs = names.structs.map((name) => {
    const fromHeader = structModel(anchor, name);
    const fromObject = structModel(program, name);
    if (!fromHeader) throw new Error(`struct ${name}: not in the anchor's BTF (header parse error?)`);
    if (!fromObject) {
      throw new Error(
        `struct ${name} is in ${headerPath} but not in the BTF of ${objectPath}: no map uses it; use it as a map key or value, or drop it from the shared header`,
      );
    }
    if (JSON.stringify(fromHeader) !== JSON.stringify(fromObject)) {
      throw new Error(
        `struct ${name} differs between ${objectPath} and ${headerPath}: the object is stale; rebuild it with \`make -C bpf\` (with the same EXTRA_CFLAGS, if any)`,
      );
    }
    return fromObject;
  });
  const enums = names.enums.map((name) => {
    const model = enumModel(program, name) ?? enumModel(anchor, name);
    if (!model) throw new Error(`enum ${name}: not in the anchor's BTF (header parse error?)`);
    return model;
  });
  const evaluated = new Map((enumModel(anchor, CONSTANTS_ENUM)?.values ?? []).map((v) => [v.name, v.value]));
  const constants = names.constants.map((name) => {
    const value = evaluated.get(`${CONSTANT_PREFIX}${name}`);
    if (value === undefined) throw new Error(`#define ${name}: not in the anchor's BTF (not an integer constant?)`);
    return { name, value };
  });
  return { structs, enums, constants };
}

/* ---- Rendering ---- */

const pascal = (snake: string): string => snake.replace(/(^|_)([a-z0-9])/g, (_, __, ch: string) => ch.toUpperCase());
const camel = (snake: string): string => {
  const p = pascal(snake);
  return p[0]!.toLowerCase() + p.slice(1);
};

const TYPED_ARRAY: Record<ScalarKind, string> = {
  u8: 'Uint8Array',
  s8: 'Int8Array',
  u16: 'Uint16Array',
  s16: 'Int16Array',
  u32: 'Uint32Array',
  s32: 'Int32Array',
  u64: 'BigUint64Array',
  s64: 'BigInt64Array',
  be16: 'Buffer',
  be32: 'Buffer',
  be64: 'Buffer',
};

function tsType(member: MemberModel): string {
  if (member.length !== undefined) return TYPED_ARRAY[member.kind];
  return member.kind.endsWith('64') ? 'bigint' : 'number';
}

function renderStruct(s: StructModel): string {
  const type = pascal(s.name);
  const fields = s.members.map((m) => `\t${m.name}${m.name.startsWith('pad') ? '?' : ''}: ${tsType(m)};`);
  const members = s.members.map((m) => {
    const length = m.length === undefined ? '' : `, length: ${m.length}`;
    return `\t\t{ name: '${m.name}', offset: ${m.offset}, kind: '${m.kind}'${length} },`;
  });
  return [
    `/** struct ${s.name} (${s.size} bytes) */`,
    `export interface ${type} {`,
    ...fields,
    '}',
    '',
    `export const ${camel(s.name)}Layout: StructLayout<${type}> = {`,
    `\tname: '${s.name}',`,
    `\tsize: ${s.size},`,
    '\tmembers: [',
    ...members,
    '\t],',
    '};',
  ].join('\n');
}

function renderConstant(c: ConstantModel): string {
  return `export const ${c.name} = ${c.value};`;
}

function renderEnum(e: EnumModel): string {
  const name = pascal(e.name);
  return [
    `/** enum ${e.name} */`,
    `export const ${name} = {`,
    ...e.values.map((v) => `\t${v.name}: ${v.value},`),
    '} as const;',
    `export type ${name} = (typeof ${name})[keyof typeof ${name}];`,
  ].join('\n');
}

export function renderLayout(model: LayoutModel, headerPath: string, indexName = 'structLayouts'): string {
  const index = model.structs.map((s) => `\t${s.name}: ${camel(s.name)}Layout,`);
  return [
    GENERATED_HEADER_LINE,
    /* No object path here: the same header must give the same file whichever object was read. */
    `// Structs from the compiled program's BTF, checked against ${headerPath}; enums from that header.`,
    "import type { StructLayout } from '../layout-types.js';",
    '',
    ...model.structs.flatMap((s) => [renderStruct(s), '']),
    '/** Every shared struct by its C name. */',
    `export const ${indexName} = {`,
    ...index,
    '} as const;',
    '',
    ...model.enums.flatMap((e) => [renderEnum(e), '']),
    "/* The header's #define constants, as the compiler evaluates them for this build. */",
    ...model.constants.map(renderConstant),
    '',
  ].join('\n');
}

/**
 * The full text of a generated layout file; the header path in it is relative
 * to `repoRoot` so output is stable. `indexName` names the struct index, so
 * two generated files can be exported side by side (layout.ts: structLayouts).
 */
export function generateLayoutSource(sources: LayoutSources & { repoRoot: string; indexName?: string }): string {
  const text = renderLayout(buildLayoutModel(sources), relative(sources.repoRoot, sources.headerPath), sources.indexName);
  return formatGenerated(text, sources.repoRoot, 'layout.ts');
}
