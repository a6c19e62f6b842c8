/*
 * The operator's hash seed: 0 must leave every table exactly as builds before
 * the setting made them (nodes of an old and a new build must agree), and any
 * other seed must reshuffle the hashed tables (so a fleet that mixes seeds is
 * caught by its negative control, not silently equal).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { FLOW_HASH_SEED } from '../../src/generated/layout.js';
import {
  buildLookupTable,
  buildMaglevTable,
  derivedSeed,
  flowHashSeed,
  hashSeedOfFlowSeed,
  maglevPermutation,
  MAX_HASH_SEED,
  LOOKUP_TABLE_SIZE,
} from '../../src/lookup/index.js';
import { countSlots, makeBackends, oneTwoThree } from './helpers.js';

const sha256 = (table: Uint16Array): string =>
  createHash('sha256')
    .update(Buffer.from(table.buffer, table.byteOffset, table.byteLength))
    .digest('hex');

/*
 * SHA-256 of the tables that commit 4d51776 (before the hash seed existed)
 * built for these inputs, computed by running that commit's builder: the
 * before/after check that seed 0 changed nothing.
 */
const BEFORE_THE_SEED = {
  maglev1: '477b6c5f8dc34b86c7b70cc34a9e13d9d2bce21589ea24c89b222943d92c8967',
  maglev3: '843b044bb0a03b2a1fbec45ac0cada4c54a4524ff527aa422d4bdaa8053e0e0e',
  maglev100: '4aa0afb4314d507ec3e5cc005f052de94849916c5bfe6a448b1445c3432a6a60',
  maglevIpv6: '967c244ab0a9ce5398b138c9edf459771be4113674f038408539f68a33ee4dd0',
  roundRobin10: '06a46bb07b6302dc6641bea5f928f8251447b302c23733192f4c2c1f9ee55983',
  weighted10: '67769a521d8ccb29a9bf3ff8ad9ae906b949b51dae0be3eb074d9f1d8af3a00d',
};
const IPV6_BACKENDS = [
  { id: 1, key: '[2001:db8::1]:443', weight: 1 },
  { id: 2, key: '[2001:db8::2]:443', weight: 5 },
];

describe('hash seed', () => {
  test('seed 0 builds the Maglev tables of the build before the setting, bit for bit', () => {
    for (const [count, expected] of [
      [1, BEFORE_THE_SEED.maglev1],
      [3, BEFORE_THE_SEED.maglev3],
      [100, BEFORE_THE_SEED.maglev100],
    ] as const) {
      assert.equal(sha256(buildMaglevTable(makeBackends(count, oneTwoThree))), expected, `${count} backends, default seed`);
      assert.equal(sha256(buildMaglevTable(makeBackends(count, oneTwoThree), LOOKUP_TABLE_SIZE, 0)), expected, `${count} backends, seed 0`);
    }
    assert.equal(sha256(buildLookupTable('maglev', IPV6_BACKENDS, LOOKUP_TABLE_SIZE, undefined, 0).table), BEFORE_THE_SEED.maglevIpv6);
    assert.equal(sha256(buildLookupTable('source-hash', IPV6_BACKENDS, LOOKUP_TABLE_SIZE, undefined, 0).table), BEFORE_THE_SEED.maglevIpv6);
  });

  test('another seed gives another Maglev table, still balanced by weight', () => {
    const backends = makeBackends(100, oneTwoThree);
    const zero = buildMaglevTable(backends, LOOKUP_TABLE_SIZE, 0);
    const tables = [1, 0x5d1ce5ed, MAX_HASH_SEED].map((seed) => buildMaglevTable(backends, LOOKUP_TABLE_SIZE, seed));
    for (const table of tables) {
      let differing = 0;
      for (let s = 0; s < table.length; s++) if (table[s] !== zero[s]) differing++;
      /* Independent tables of 100 backends agree on about 1 slot in 100 by chance. */
      assert.ok(differing > table.length * 0.9, `only ${differing} of ${table.length} slots differ from seed 0's table`);
      const counts = countSlots(table);
      const total = backends.reduce((sum, b) => sum + b.weight, 0);
      for (const backend of backends) {
        const share = counts.get(backend.id)! / table.length;
        const want = backend.weight / total;
        assert.ok(Math.abs(share - want) < want * 0.1, `backend ${backend.key} (weight ${backend.weight}) holds ${share}, want ~${want}`);
      }
    }
    assert.notEqual(sha256(tables[0]!), sha256(tables[2]!));
  });

  test('the same seed builds the same table (every node of a fleet agrees)', () => {
    const backends = makeBackends(30, oneTwoThree);
    assert.equal(sha256(buildMaglevTable(backends, LOOKUP_TABLE_SIZE, 12345)), sha256(buildMaglevTable([...backends].reverse(), LOOKUP_TABLE_SIZE, 12345)));
  });

  test('the sequences of round robin and least connections hash nothing: the seed leaves them alone', () => {
    const backends = makeBackends(10, oneTwoThree);
    assert.equal(sha256(buildLookupTable('round-robin', backends, LOOKUP_TABLE_SIZE, undefined, 0).table), BEFORE_THE_SEED.roundRobin10);
    assert.equal(sha256(buildLookupTable('round-robin', backends, LOOKUP_TABLE_SIZE, undefined, 99).table), BEFORE_THE_SEED.roundRobin10);
    for (const algorithm of ['weighted-round-robin', 'least-connections'] as const) {
      assert.equal(sha256(buildLookupTable(algorithm, backends, LOOKUP_TABLE_SIZE, undefined, 99).table), BEFORE_THE_SEED.weighted10);
    }
  });

  test('one rule: base XOR seed; seed 0 keeps FLOW_HASH_SEED; the loaded setting gives the seed back', () => {
    assert.equal(flowHashSeed(0), FLOW_HASH_SEED);
    assert.equal(flowHashSeed(1), (FLOW_HASH_SEED ^ 1) >>> 0);
    assert.equal(derivedSeed(0x6f666673, 0xffffffff), 0x9099998c); /* every bit flipped, as an unsigned 32-bit value */
    for (const seed of [0, 1, 0x5d1ce5ed, 0x80000000, MAX_HASH_SEED]) assert.equal(hashSeedOfFlowSeed(BigInt(flowHashSeed(seed))), seed);
    /* Seeds differ in their permutations, keys still map into the table. */
    const a = maglevPermutation('198.19.0.1:8080', LOOKUP_TABLE_SIZE, 0);
    const b = maglevPermutation('198.19.0.1:8080', LOOKUP_TABLE_SIZE, 1);
    assert.notDeepEqual(a, b);
  });

  test('a bad seed is refused with what is allowed', () => {
    for (const bad of [-1, MAX_HASH_SEED + 1, 1.5, Number.NaN]) {
      assert.throws(() => buildMaglevTable(makeBackends(3), LOOKUP_TABLE_SIZE, bad), /hash seed must be a whole number 0 to 4294967295/);
      assert.throws(
        () => buildLookupTable('round-robin', makeBackends(3), LOOKUP_TABLE_SIZE, undefined, bad),
        /hash seed must be a whole number 0 to 4294967295/,
      );
      assert.throws(() => flowHashSeed(bad), RangeError);
    }
  });
});
