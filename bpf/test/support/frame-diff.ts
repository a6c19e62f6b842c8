// Explains how two frames differ, by header field, so a failing fixture says
// "ip.check" rather than "buffers differ".

const FIELDS_V4: Array<[string, number, number]> = [
  ['eth.dst', 0, 6],
  ['eth.src', 6, 6],
  ['eth.type', 12, 2],
  ['ip.ttl', 22, 1],
  ['ip.check', 24, 2],
  ['ip.src', 26, 4],
  ['ip.dst', 30, 4],
  ['l4.sport', 34, 2],
  ['l4.dport', 36, 2],
];
const FIELDS_V6: Array<[string, number, number]> = [
  ['eth.dst', 0, 6],
  ['eth.src', 6, 6],
  ['eth.type', 12, 2],
  ['ip6.hop', 21, 1],
  ['ip6.src', 22, 16],
  ['ip6.dst', 38, 16],
  ['l4.sport', 54, 2],
  ['l4.dport', 56, 2],
];

export function describeFrameDifference(actual: Buffer, expected: Buffer): string {
  if (actual.equals(expected)) return 'frames are equal';
  const lines = [`frame differs (actual ${actual.length} bytes, expected ${expected.length})`];
  const fields = expected.readUInt16BE(12) === 0x86dd ? FIELDS_V6 : FIELDS_V4;
  for (const [name, offset, length] of fields) {
    const a = actual.subarray(offset, offset + length).toString('hex');
    const e = expected.subarray(offset, offset + length).toString('hex');
    if (a !== e) lines.push(`  ${name}: actual ${a}, expected ${e}`);
  }
  const firstDifference = [...expected].findIndex((byte, i) => actual[i] !== byte);
  lines.push(`  first differing byte at ${firstDifference}`);
  lines.push(`  actual:   ${actual.toString('hex')}`, `  expected: ${expected.toString('hex')}`);
  return lines.join('\n');
}
