/* Codec and address helpers: pure user-space checks against the generated layout. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { numPossibleCpus, perCpuCodec } from '../src/maps.js';
import {
  addressToBytes,
  backendLayout,
  bytesToAddress,
  decode,
  encode,
  flowKeyLayout,
  lookupTableLayout,
  serviceKeyLayout,
  structCodec,
  trafficCountersLayout,
  u32Codec,
  vipKeyLayout,
} from '../src/index.js';

describe('codec', () => {
  it('puts be16 ports in network order and addresses as raw bytes', () => {
    const { bytes, family } = addressToBytes('198.18.0.10');
    const buf = encode(serviceKeyLayout, { addr: bytes, port: 8080, protocol: 6, family });
    assert.equal(buf.length, serviceKeyLayout.size);
    assert.deepEqual([...buf.subarray(0, 4)], [198, 18, 0, 10]);
    assert.deepEqual([...buf.subarray(16, 18)], [0x1f, 0x90]);
    assert.equal(buf[18], 6);
    assert.equal(buf[19], 4);
    assert.deepEqual(decode(serviceKeyLayout, buf), { addr: bytes, port: 8080, protocol: 6, family });
  });

  it('round-trips a backend and zeroes bytes no member covers', () => {
    const backend = { addr: addressToBytes('2001:db8::7').bytes, port: 443, family: 6, flags: 1, service_id: 3, weight: 100 };
    const buf = Buffer.alloc(backendLayout.size + 8, 0xff);
    structCodec(backendLayout).encodeInto(backend, buf, 4);
    assert.equal(buf.readUInt32LE(0), 0xffffffff, 'bytes before the value untouched');
    assert.deepEqual(decode(backendLayout, buf, 4), backend);
    const covered = new Set(backendLayout.members.flatMap((m) => [...Array((m.length ?? 1) * widthOf(m.kind)).keys()].map((i) => m.offset + i)));
    for (let i = 0; i < backendLayout.size; i++) if (!covered.has(i)) assert.equal(buf[4 + i], 0, `padding byte ${i}`);
  });

  it('encodes omitted pad members as zero', () => {
    const addr = addressToBytes('10.0.0.1').bytes;
    const vip = encode(vipKeyLayout, { addr, family: 4 });
    assert.deepEqual([...vip.subarray(17, 20)], [0, 0, 0]);
    const key = encode(flowKeyLayout, { src: addr, dst: addr, src_port: 1, dst_port: 2, protocol: 17, family: 4 });
    assert.equal(key.readUInt16LE(38), 0);
  });

  it('names the member on bad input', () => {
    const addr = Buffer.alloc(16);
    assert.throws(() => encode(serviceKeyLayout, { addr, port: 80, protocol: 6 } as never), /service_key\.family: missing/);
    assert.throws(() => encode(serviceKeyLayout, { addr, port: 70000, protocol: 6, family: 4 }), /service_key\.port:/);
    assert.throws(
      () => encode(serviceKeyLayout, { addr: Buffer.alloc(4), port: 80, protocol: 6, family: 4 }),
      /service_key\.addr: expected a Buffer of 16 bytes/,
    );
  });

  it('takes u64 counters as bigint (and numbers) and gives bigint back', () => {
    const value = { packets: 1n, bytes: 2n ** 40n, reply_packets: 3n, reply_bytes: 4n, new_flows: 5n, drops: 0n };
    assert.deepEqual(decode(trafficCountersLayout, encode(trafficCountersLayout, value)), value);
    const fromNumbers = encode(trafficCountersLayout, { ...value, packets: 7 as unknown as bigint });
    assert.equal(decode(trafficCountersLayout, fromNumbers).packets, 7n);
  });

  it('encodes and decodes a 65537-slot lookup table, round after round', () => {
    const slots = new Uint16Array(lookupTableLayout.members[0]!.length!);
    for (let i = 0; i < slots.length; i++) slots[i] = i % 4096;
    let buf: Buffer = Buffer.alloc(0);
    let back: Uint16Array = new Uint16Array(0);
    for (let round = 0; round < 100; round++) {
      buf = encode(lookupTableLayout, { slots });
      back = decode(lookupTableLayout, buf).slots;
    }
    assert.equal(buf.length, lookupTableLayout.size);
    assert.equal(buf.readUInt16LE(2 * 4097), 1);
    assert.deepEqual(back, slots);
    /* A plain array is accepted too (slower path). */
    assert.deepEqual(decode(lookupTableLayout, encode(lookupTableLayout, { slots: Array.from(slots) as unknown as Uint16Array })).slots, slots);
  });

  it('lays per-CPU values out at an 8-byte stride', () => {
    const cpus = numPossibleCpus();
    const u32PerCpu = perCpuCodec(u32Codec, cpus);
    assert.equal(u32PerCpu.size, 8 * cpus);
    const buf = Buffer.alloc(u32PerCpu.size);
    u32PerCpu.encodeInto(
      Array.from({ length: cpus }, (_, i) => i + 1),
      buf,
      0,
    );
    if (cpus > 1) assert.equal(buf.readUInt32LE(8), 2);
    assert.throws(() => u32PerCpu.encodeInto(new Array(cpus + 1).fill(1), buf, 0), /one per possible CPU/);
  });
});

describe('addresses', () => {
  const cases: [string, string][] = [
    ['192.0.2.1', '192.0.2.1'],
    ['::', '::'],
    ['::1', '::1'],
    ['2001:db8::1', '2001:db8::1'],
    ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'],
    ['fe80::1:2:3:4', 'fe80::1:2:3:4'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['::ffff:192.0.2.128', '::ffff:c000:280'],
    ['64:ff9b::10.0.0.1', '64:ff9b::a00:1'],
  ];
  for (const [input, canonical] of cases) {
    it(`${input} -> bytes -> ${canonical}`, () => {
      const { family, bytes } = addressToBytes(input);
      assert.equal(bytes.length, 16);
      assert.equal(bytesToAddress(family, bytes), canonical);
    });
  }

  it('puts IPv4 in the first four bytes and zeroes the rest', () => {
    const { family, bytes } = addressToBytes('10.1.2.3');
    assert.equal(family, 4);
    assert.deepEqual([...bytes], [10, 1, 2, 3, ...new Array(12).fill(0)]);
  });

  it('parses IPv6 into network order', () => {
    assert.deepEqual([...addressToBytes('2001:db8::ff01').bytes], [0x20, 0x01, 0x0d, 0xb8, ...new Array(10).fill(0), 0xff, 0x01]);
  });

  it('rejects what is not an address', () => {
    assert.throws(() => addressToBytes('300.1.1.1'), /not an IP address/);
    assert.throws(() => addressToBytes('example.com'), /not an IP address/);
    assert.throws(() => addressToBytes('fe80::1%eth0'), /zone index/);
  });
});

function widthOf(kind: string): number {
  return Number(kind.replace(/\D/g, '')) / 8;
}
