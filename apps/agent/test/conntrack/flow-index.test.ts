/* The connection table's snapshot order: (hash of the key, key words), whatever order the scan found the keys in. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FlowIndexBuilder } from '../../src/conntrack/flow-index.js';
import { KEY_WORDS, hashWords } from '../../src/conntrack/key-words.js';

/* A deterministic stream of key words (xorshift32). */
function keyWords(count: number, seed: number): Uint32Array {
  const words = new Uint32Array(count * KEY_WORDS);
  let x = seed;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return words;
}

function compareKeys(words: Uint32Array, a: number, b: number): number {
  const ha = hashWords(words, a * KEY_WORDS);
  const hb = hashWords(words, b * KEY_WORDS);
  if (ha !== hb) return ha < hb ? -1 : 1;
  for (let w = 0; w < KEY_WORDS; w++) {
    const x = words[a * KEY_WORDS + w]!;
    const y = words[b * KEY_WORDS + w]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

describe('FlowIndex order', () => {
  it('200,000 keys come out in (hash, key) order, each once, with their own columns', () => {
    const count = 200_000;
    const words = keyWords(count, 0x1234567);
    const builder = new FlowIndexBuilder();
    for (let i = 0; i < count; i++) builder.add(words, i * KEY_WORDS, i % 7, i, i % 5);
    const index = builder.finish();
    assert.equal(index.count, count);
    for (let i = 1; i < count; i++) assert.ok(compareKeys(index.words, i - 1, i) < 0, `entry ${i} after entry ${i - 1}`);
    /* 200,000 random keys hold a few pairs with one 32-bit hash (about n^2 / 2^33): ordered by their words above. */
    let sharedHashes = 0;
    for (let i = 1; i < count; i++) if (index.hashes[i] === index.hashes[i - 1]) sharedHashes++;
    assert.ok(sharedHashes > 0, 'this seed gives keys that share a hash');
    /* Each entry's columns travelled with its key: backendIds holds the key's original position. */
    const seen = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      const original = index.backendIds[i]!;
      assert.equal(seen[original], 0, `position ${original} once`);
      seen[original] = 1;
      for (let w = 0; w < KEY_WORDS; w++) assert.equal(index.words[i * KEY_WORDS + w], words[original * KEY_WORDS + w]);
      assert.equal(index.serviceIds[i], original % 7);
      assert.equal(index.tcpStates[i], original % 5);
      assert.equal(index.hashes[i], hashWords(words, original * KEY_WORDS));
    }
  });
});
