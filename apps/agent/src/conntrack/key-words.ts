/*
 * Flow keys as 32-bit words (a key is 40 bytes = 10 words): copying,
 * comparing and hashing them word by word is several times faster than
 * Buffer.copy/compare on 40-byte slices, which matters at two million keys.
 */
import { KEY_SIZE } from './flow-bytes.js';

export const KEY_WORDS = KEY_SIZE / 4;

/** A Uint32Array over a Buffer (its bytes must be 4-aligned, as every Buffer.alloc of a batch is). */
export function wordsOf(buf: Buffer): Uint32Array {
  if (buf.byteOffset % 4 !== 0) throw new Error('flow key buffer is not 4-byte aligned');
  return new Uint32Array(buf.buffer, buf.byteOffset, Math.floor(buf.byteLength / 4));
}

/** A Buffer view of key `i` in a word array. */
export function keyBuffer(words: Uint32Array, i: number): Buffer {
  return Buffer.from(words.buffer, words.byteOffset + i * KEY_SIZE, KEY_SIZE);
}

/** murmur3-style mix of a key's ten words: the same in every process. */
export function hashWords(words: Uint32Array, at: number): number {
  let h = 0x5d1ce5ed;
  for (let w = 0; w < KEY_WORDS; w++) {
    let k = words[at + w]!;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= KEY_SIZE;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A growable list of keys (and nothing else), stored as words. */
export class KeyList {
  words = new Uint32Array(KEY_WORDS * 1024);
  count = 0;

  push(src: Uint32Array, at: number): number {
    if ((this.count + 1) * KEY_WORDS > this.words.length) {
      const bigger = new Uint32Array(this.words.length * 2);
      bigger.set(this.words);
      this.words = bigger;
    }
    const to = this.count * KEY_WORDS;
    for (let w = 0; w < KEY_WORDS; w++) this.words[to + w] = src[at + w]!;
    return this.count++;
  }

  pushBuffer(key: Buffer): number {
    return this.push(wordsOf(Buffer.from(key)), 0);
  }

  key(i: number): Buffer {
    return keyBuffer(this.words, i);
  }

  /** Every key's bytes, packed (what bpf_map_delete_batch takes). */
  bytes(): Buffer {
    return Buffer.from(this.words.buffer, this.words.byteOffset, this.count * KEY_SIZE);
  }
}
