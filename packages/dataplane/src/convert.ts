/*
 * Converting one entry of an older build's map into this build's layout,
 * field by field by name (the leaves of btf.ts):
 * - a field in both, unchanged, is copied (wherever it moved);
 * - a field new in this build starts at zero; a field this build dropped is dropped;
 * - an integer that got wider, or an array of integers that got longer, is
 *   widened (sign-extended if signed; new elements zero);
 * - a scalar that became an array, like anything else (narrower, signedness
 *   or byte order changed, a union or bitfield that differs, an integer that
 *   became a struct), means the field's meaning changed: it needs a rule
 *   (migration-rules.ts), and without one the whole upgrade is refused with
 *   the field named. Guessing would corrupt flows.
 */
import type { Field, Shape } from './btf.js';

/**
 * An explicit conversion for a field whose meaning changed, keyed by
 * `<type name>.<field path>` of the NEW layout (e.g. `struct flow_value.flags`).
 * It gets the old entry, the old field (undefined if the old layout has no
 * field of that path) and writes the new field's bytes into `out` at
 * `newField.offset` (`out` starts zeroed). Rules that apply to one known old
 * layout live in migration-rules.ts.
 */
export type FieldConverter = (oldEntry: Buffer, oldField: Field | undefined, out: Buffer, newField: Field) => void;

export class ConversionRefused extends Error {}

export interface Conversion {
  /** The layouts are the same: entries are copied as they are. */
  readonly identical: boolean;
  /** Fields copied, widened, zeroed (new), dropped (old only), converted by a rule: for the log. */
  readonly summary: { copied: string[]; widened: string[]; added: string[]; dropped: string[]; converted: string[] };
  /** Writes the new layout's bytes for `oldEntry` into `out` (out.length === new size). */
  convert(oldEntry: Buffer, out: Buffer): void;
}

const fieldLabel = (f: Field) => (f.path === '' ? 'the value' : `field ${f.path}`);
const describe = (f: Field) =>
  f.kind === 'opaque'
    ? `${f.why ?? 'opaque'} of ${f.width} bytes`
    : `${f.bigEndian ? 'be' : f.signed ? 's' : 'u'}${f.width * 8}${f.count > 1 ? `[${f.count}]` : ''}`;

function sameField(a: Field, b: Field): boolean {
  return a.kind === b.kind && a.width === b.width && a.count === b.count && a.signed === b.signed && a.bigEndian === b.bigEndian;
}

function canWiden(from: Field, to: Field): boolean {
  /*
   * Host-order integers only: widening a network-order field would move its
   * bytes' meaning. An array may get longer; a scalar that became an array
   * changed meaning (one value became one per something: per direction, per CPU).
   */
  const longer = to.count === from.count || (from.count > 1 && to.count > from.count);
  return from.kind === 'int' && to.kind === 'int' && !from.bigEndian && !to.bigEndian && from.signed === to.signed && to.width >= from.width && longer;
}

function readInt(buf: Buffer, offset: number, width: number, signed: boolean): bigint {
  let v = 0n;
  for (let i = width - 1; i >= 0; i--) v = (v << 8n) | BigInt(buf[offset + i]!);
  return signed ? BigInt.asIntN(width * 8, v) : v;
}

function writeInt(buf: Buffer, offset: number, width: number, value: bigint): void {
  let v = BigInt.asUintN(width * 8, value);
  for (let i = 0; i < width; i++) {
    buf[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/**
 * Plans the conversion of `from` entries into `to` entries. `subject` names the
 * map in a refusal (`map "flows"`). Throws ConversionRefused naming the field.
 */
export function planConversion(from: Shape, to: Shape, subject: string, converters: Readonly<Record<string, FieldConverter>> = {}): Conversion {
  const oldByPath = new Map(from.fields.map((f) => [f.path, f]));
  const newPaths = new Set(to.fields.map((f) => f.path));
  const steps: ((oldEntry: Buffer, out: Buffer) => void)[] = [];
  const summary: Conversion['summary'] = { copied: [], widened: [], added: [], dropped: [], converted: [] };
  let identical = from.size === to.size && from.fields.length === to.fields.length;

  for (const field of to.fields) {
    const rule = converters[`${to.typeName}.${field.path}`];
    const old = oldByPath.get(field.path);
    if (old && sameField(old, field) && !rule) {
      if (old.offset !== field.offset) identical = false;
      const bytes = field.width * field.count;
      steps.push((oldEntry, out) => oldEntry.copy(out, field.offset, old.offset, old.offset + bytes));
      summary.copied.push(field.path);
      continue;
    }
    identical = false;
    if (rule) {
      steps.push((oldEntry, out) => rule(oldEntry, old, out, field));
      summary.converted.push(field.path);
    } else if (!old) {
      summary.added.push(field.path); /* out starts zeroed */
    } else if (canWiden(old, field)) {
      steps.push((oldEntry, out) => {
        for (let i = 0; i < old.count; i++) {
          writeInt(out, field.offset + i * field.width, field.width, readInt(oldEntry, old.offset + i * old.width, old.width, old.signed));
        }
      });
      summary.widened.push(field.path);
    } else {
      throw new ConversionRefused(
        `${subject}: ${fieldLabel(field)} of ${to.typeName} changed from ${describe(old)} to ${describe(field)}, ` +
          `which no rule converts; add a rule for "${to.typeName}.${field.path}" (packages/dataplane/src/migration-rules.ts), ` +
          'or tear the old data plane down (`sluice teardown --interfaces ...`, which ends its tracked flows)',
      );
    }
  }
  for (const field of from.fields) if (!newPaths.has(field.path)) summary.dropped.push(field.path);
  if (summary.dropped.length > 0) identical = false;

  return {
    identical,
    summary,
    convert(oldEntry, out) {
      if (identical) {
        oldEntry.copy(out, 0, 0, to.size);
        return;
      }
      out.fill(0, 0, to.size);
      for (const step of steps) step(oldEntry, out);
    },
  };
}
