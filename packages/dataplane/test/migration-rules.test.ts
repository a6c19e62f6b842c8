/*
 * The rule for the flow table of builds before one entry per flow (46cbc2d):
 * that old layout is written out here as its header had it; the new one is
 * read from this build's object. Reply entries are not carried, the FIN flags
 * move down one bit, the reply's next-hop cache starts empty, the rest is copied.
 * (Checked by hand against that commit's real build too: see the README.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Field, Shape } from '../src/btf.js';
import { planConversion } from '../src/convert.js';
import { checkedPointer } from '../src/errors.js';
import { type FlowValue, decode, flowValueLayout } from '../src/index.js';
import { libbpf } from '../src/libbpf.js';
import { objectBtf } from '../src/migrate.js';
import { rulesFor } from '../src/migration-rules.js';
import { objectPath } from './helpers.js';

const u = (path: string, offset: number, width: number, count = 1): Field => ({ path, offset, width, count, kind: 'int', signed: false, bigEndian: false });

/* struct flow_value before 46cbc2d (80 bytes). */
const OLD_FLOW_VALUE: Shape = {
  typeName: 'struct flow_value',
  size: 80,
  fields: [
    u('created_ns', 0, 8),
    u('last_seen_ns', 8, 8),
    u('packets', 16, 8),
    u('bytes', 24, 8),
    u('backend_id', 32, 4),
    u('service_id', 36, 4),
    u('tcp_state', 40, 4),
    u('flags', 44, 4),
    u('next_hop_checked_ns', 48, 8),
    u('next_hop_ifindex', 56, 4),
    u('next_hop_max_len', 60, 2),
    u('next_hop_dst_mac', 62, 1, 6),
    u('next_hop_src_mac', 68, 1, 6),
    u('pad', 74, 2),
  ],
};

function newFlowValueShape(): Shape {
  const path = objectPath();
  const obj = checkedPointer('bpf_object__open_file', path, () => libbpf.bpf_object__open_file(path, null));
  try {
    const map = checkedPointer('bpf_object__find_map_by_name', 'flows', () => libbpf.bpf_object__find_map_by_name(obj, 'flows'));
    return objectBtf(obj, path).shape(libbpf.bpf_map__btf_value_type_id(map));
  } finally {
    libbpf.bpf_object__close(obj);
  }
}

function oldEntry(flags: number): Buffer {
  const b = Buffer.alloc(80);
  b.writeBigUInt64LE(5n, 0);
  b.writeBigUInt64LE(6n, 8);
  b.writeBigUInt64LE(10n, 16);
  b.writeBigUInt64LE(1000n, 24);
  b.writeUInt32LE(3, 32);
  b.writeUInt32LE(1, 36);
  b.writeUInt32LE(2, 40);
  b.writeUInt32LE(flags, 44);
  b.writeBigUInt64LE(99n, 48); /* a cached next hop */
  b.writeUInt32LE(7, 56);
  b.writeUInt16LE(1500, 60);
  b.fill(0xaa, 62, 74);
  return b;
}

describe('migration rules', () => {
  const newShape = newFlowValueShape();
  const [rule] = rulesFor('flows', OLD_FLOW_VALUE);

  it("the two-entries-per-flow layout is recognised; today's is not", () => {
    assert.ok(rule);
    assert.deepEqual(rulesFor('flows', newShape), []);
    assert.deepEqual(rulesFor('services', OLD_FLOW_VALUE), []);
  });

  it('without the rule the FIN flags would be carried in their old bits: the rule is what renumbers them', () => {
    const blind = planConversion(OLD_FLOW_VALUE, newShape, 'map "flows" value');
    const out = Buffer.alloc(newShape.size);
    blind.convert(oldEntry(1 << 1), out);
    assert.equal(decode(flowValueLayout, out).flags, 1 << 1, 'the old FIN-client bit, read today as FIN-backend');
  });

  it('reply entries are not carried; forward entries convert with FIN flags renumbered and the next-hop cache empty', () => {
    assert.equal(rule!.keepEntry!(Buffer.alloc(40), oldEntry(1 /* FLOW_F_REPLY */), OLD_FLOW_VALUE), false);
    assert.equal(rule!.keepEntry!(Buffer.alloc(40), oldEntry(1 << 1), OLD_FLOW_VALUE), true);
    const conversion = planConversion(OLD_FLOW_VALUE, newShape, 'map "flows" value', rule!.valueFields);
    const out = Buffer.alloc(newShape.size);
    conversion.convert(oldEntry((1 << 1) | (1 << 2)), out);
    const value: FlowValue = decode(flowValueLayout, out);
    assert.equal(value.created_ns, 5n);
    assert.equal(value.last_seen_ns, 6n);
    assert.equal(value.packets, 10n);
    assert.equal(value.bytes, 1000n);
    assert.equal(value.reply_packets, 0n);
    assert.equal(value.backend_id, 3);
    assert.equal(value.service_id, 1);
    assert.equal(value.tcp_state, 2);
    assert.equal(value.flags, 0b11, 'FIN client and FIN backend, one bit lower');
    assert.equal(value.reply_next_hop_checked_ns, 0n, 'nothing cached: the FIB is asked again');
    assert.ok(value.reply_next_hop_macs.every((b) => b === 0));
  });
});
