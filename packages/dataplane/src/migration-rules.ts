/*
 * What a layout alone cannot tell: fields and entries whose meaning changed
 * between builds. Each rule names the map, recognises the old layout it is
 * for by that layout's own fields (read from the pinned map's BTF), and says
 * which old entries have no counterpart and how each changed field converts.
 * Everything else converts by name (convert.ts). A change of meaning with no
 * rule here can still slip through when the layout stays the same: whoever
 * changes a field's meaning (bits of a flags word, an enum's numbers) adds a
 * rule, and appends counters rather than renumbering them.
 */
import type { Field, Shape } from './btf.js';
import type { FieldConverter } from './convert.js';

export interface MigrationRule {
  /** The change, for the log. */
  readonly description: string;
  readonly map: string;
  /** Does the pinned map's old value layout come from before this change? */
  matches(oldValue: Shape): boolean;
  /** false: the old entry has no counterpart in the new layout and is not carried. */
  keepEntry?(oldKey: Buffer, oldValue: Buffer, oldValueShape: Shape): boolean;
  /** Converters by field path of the new value layout. */
  readonly valueFields: Readonly<Record<string, FieldConverter>>;
}

const fieldOf = (shape: Shape, path: string): Field | undefined => shape.fields.find((f) => f.path === path);

/*
 * 46cbc2d: the flow table went from two entries per flow (forward keyed
 * client -> VIP, reply keyed backend -> client, FLOW_F_REPLY = 1 << 0) to one.
 * Reply entries are dropped (the reply path now finds the forward entry; the
 * flow's reply counters start at zero); the FIN flags moved down one bit. Its
 * one-direction next-hop cache has no counterpart today (a flow caches only
 * the reply's), so it starts empty, as any added field: the FIB is asked again.
 */
const OLD_FLOW_F_REPLY = 1 << 0;
const OLD_FLOW_F_FIN_CLIENT = 1 << 1;
const OLD_FLOW_F_FIN_BACKEND = 1 << 2;
const FLOW_F_FIN_CLIENT = 1 << 0;
const FLOW_F_FIN_BACKEND = 1 << 1;

const oldFlags = (entry: Buffer, shape: Shape): number => entry.readUInt32LE(fieldOf(shape, 'flags')!.offset);

const twoEntriesPerFlow: MigrationRule = {
  description: 'from two flow-table entries per flow to one (reply entries dropped, FIN flags renumbered, next-hop cache emptied)',
  map: 'flows',
  matches: (old) => fieldOf(old, 'next_hop_dst_mac') !== undefined && fieldOf(old, 'reply_packets') === undefined && fieldOf(old, 'flags') !== undefined,
  keepEntry: (_key, value, shape) => (oldFlags(value, shape) & OLD_FLOW_F_REPLY) === 0,
  valueFields: {
    'struct flow_value.flags': (old, oldField, out, newField) => {
      const was = old.readUInt32LE(oldField!.offset);
      const now = (was & OLD_FLOW_F_FIN_CLIENT ? FLOW_F_FIN_CLIENT : 0) | (was & OLD_FLOW_F_FIN_BACKEND ? FLOW_F_FIN_BACKEND : 0);
      out.writeUInt32LE(now, newField.offset);
    },
  },
};

export const MIGRATION_RULES: readonly MigrationRule[] = [twoEntriesPerFlow];

/** The rules for one map whose old value layout is `oldValue`. */
export function rulesFor(map: string, oldValue: Shape, rules: readonly MigrationRule[] = MIGRATION_RULES): MigrationRule[] {
  return rules.filter((r) => r.map === map && r.matches(oldValue));
}
