/*
 * Field-by-field conversion between two layouts of one struct: copied where
 * unchanged (also when moved), zero when new, dropped when gone, widened when
 * wider, and refused, naming the field, when its meaning changed. Layouts are
 * written out by hand here; migrate.test.ts reads them from real BTF.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Field, Shape } from '../src/btf.js';
import { ConversionRefused, planConversion } from '../src/convert.js';

const int = (path: string, offset: number, width: number, extra: Partial<Field> = {}): Field => ({
  path,
  offset,
  width,
  count: 1,
  kind: 'int',
  signed: false,
  bigEndian: false,
  ...extra,
});

/* struct v1 { u64 packets; u32 state; be16 port; u8 macs[4]; } */
const v1: Shape = {
  typeName: 'struct demo',
  size: 20,
  fields: [int('packets', 0, 8), int('state', 8, 4), int('port', 12, 2, { bigEndian: true }), int('macs', 14, 1, { count: 4 })],
};

function entryV1(): Buffer {
  const b = Buffer.alloc(20);
  b.writeBigUInt64LE(0x1122334455667788n, 0);
  b.writeUInt32LE(7, 8);
  b.writeUInt16BE(443, 12);
  b.set([1, 2, 3, 4], 14);
  return b;
}

describe('planConversion', () => {
  it('the same layout is copied as it is', () => {
    const conv = planConversion(v1, v1, 'map "demo"');
    assert.equal(conv.identical, true);
    const out = Buffer.alloc(20);
    conv.convert(entryV1(), out);
    assert.deepEqual(out, entryV1());
  });

  it('moves fields by name, zeroes a new field, drops a removed one, widens a wider one', () => {
    /* struct v2 { u32 generation; be16 port; u8 macs[6]; u64 state; u64 packets; } : 'state' widened u32 -> u64, macs 4 -> 6 elements */
    const v2: Shape = {
      typeName: 'struct demo',
      size: 32,
      fields: [int('generation', 0, 4), int('port', 4, 2, { bigEndian: true }), int('macs', 6, 1, { count: 6 }), int('state', 16, 8), int('packets', 24, 8)],
    };
    const conv = planConversion(v1, v2, 'map "demo"');
    assert.equal(conv.identical, false);
    assert.deepEqual(conv.summary, { copied: ['port', 'packets'], widened: ['macs', 'state'], added: ['generation'], dropped: [], converted: [] });
    const out = Buffer.alloc(32, 0xff); /* stale bytes must not survive */
    conv.convert(entryV1(), out);
    assert.equal(out.readUInt32LE(0), 0, 'new field starts at zero');
    assert.equal(out.readUInt16BE(4), 443);
    assert.deepEqual([...out.subarray(6, 12)], [1, 2, 3, 4, 0, 0]);
    assert.deepEqual([...out.subarray(12, 16)], [0, 0, 0, 0], 'padding is zero');
    assert.equal(out.readBigUInt64LE(16), 7n);
    assert.equal(out.readBigUInt64LE(24), 0x1122334455667788n);

    /* And back: the new fields are dropped; u64 -> u32 narrows, which is refused (below), so keep state's width. */
    const back: Shape = { ...v2, fields: v2.fields.filter((f) => f.path === 'packets') };
    const down = planConversion(v2, back, 'map "demo"');
    assert.deepEqual(down.summary.dropped, ['generation', 'port', 'macs', 'state']);
  });

  it('sign-extends a widened signed field', () => {
    const from: Shape = { typeName: 'struct s', size: 4, fields: [int('delta', 0, 4, { signed: true })] };
    const to: Shape = { typeName: 'struct s', size: 8, fields: [int('delta', 0, 8, { signed: true })] };
    const old = Buffer.alloc(4);
    old.writeInt32LE(-5, 0);
    const out = Buffer.alloc(8);
    planConversion(from, to, 'map "s"').convert(old, out);
    assert.equal(out.readBigInt64LE(0), -5n);
  });

  for (const [what, to, message] of [
    ['narrowed', int('state', 8, 2), /field state of struct demo changed from u32 to u16/],
    ['signedness changed', int('state', 8, 4, { signed: true }), /field state of struct demo changed from u32 to s32/],
    ['byte order changed', int('port', 12, 2), /field port of struct demo changed from be16 to u16/],
    ['widened in network order', int('port', 12, 4, { bigEndian: true }), /field port of struct demo changed from be16 to be32/],
    ['a scalar became an array', int('state', 8, 4, { count: 2 }), /field state of struct demo changed from u32 to u32\[2\]/],
    ['became opaque', { ...int('packets', 0, 8), kind: 'opaque', why: 'union' } as Field, /field packets of struct demo changed from u64 to union of 8 bytes/],
  ] as const) {
    it(`refuses a field whose meaning changed (${what}), naming it and the way out`, () => {
      const changed: Shape = { ...v1, fields: v1.fields.map((f) => (f.path === to.path ? to : f)) };
      assert.throws(
        () => planConversion(v1, changed, 'map "demo" value'),
        (err: unknown) =>
          err instanceof ConversionRefused &&
          message.test(err.message) &&
          /^map "demo" value: /.test(err.message) &&
          /migration-rules\.ts/.test(err.message) &&
          /sluice teardown/.test(err.message),
      );
    });
  }

  it('an explicit converter handles a field whose meaning changed', () => {
    /* state was a u32 count of seconds, is now a u16 of minutes */
    const to: Shape = { ...v1, fields: v1.fields.map((f) => (f.path === 'state' ? int('state', 8, 2) : f)) };
    const conv = planConversion(v1, to, 'map "demo"', {
      'struct demo.state': (old, oldField, out, newField) => out.writeUInt16LE(Math.floor(old.readUInt32LE(oldField!.offset) / 60), newField.offset),
    });
    assert.deepEqual(conv.summary.converted, ['state']);
    const old = entryV1();
    old.writeUInt32LE(180, 8);
    const out = Buffer.alloc(20);
    conv.convert(old, out);
    assert.equal(out.readUInt16LE(8), 3);
    assert.equal(out.readBigUInt64LE(0), 0x1122334455667788n);
  });

  it('a scalar value (a u32 counter widened to u64) converts like a field with no name', () => {
    const from: Shape = { typeName: '__u32', size: 4, fields: [int('', 0, 4)] };
    const to: Shape = { typeName: '__u64', size: 8, fields: [int('', 0, 8)] };
    const old = Buffer.alloc(4);
    old.writeUInt32LE(0xfffffff0, 0);
    const out = Buffer.alloc(8);
    planConversion(from, to, 'map "c"').convert(old, out);
    assert.equal(out.readBigUInt64LE(0), 0xfffffff0n);
  });
});
