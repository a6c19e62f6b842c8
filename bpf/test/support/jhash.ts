// An independent TypeScript copy of the data plane's flow hash (the kernel's
// jhash2, Bob Jenkins' lookup3). Fixtures use it to predict which slot of a
// lookup table a flow lands in; if it disagrees with the C, they fail.

// The seed is sluice_shared.h's (generated with the layout); the hash code is this file's own.
import { FLOW_HASH_SEED } from '@sluice/dataplane';

const JHASH_INITVAL = 0xdeadbeef;

const rol32 = (word: number, shift: number): number => ((word << shift) | (word >>> (32 - shift))) >>> 0;

export function jhashWords(words: readonly number[], initval: number): number {
  let a = (JHASH_INITVAL + (words.length << 2) + initval) >>> 0;
  let b = a;
  let c = a;
  let k = 0;
  let left = words.length;
  const mix = () => {
    a = (a - c) >>> 0;
    a = (a ^ rol32(c, 4)) >>> 0;
    c = (c + b) >>> 0;
    b = (b - a) >>> 0;
    b = (b ^ rol32(a, 6)) >>> 0;
    a = (a + c) >>> 0;
    c = (c - b) >>> 0;
    c = (c ^ rol32(b, 8)) >>> 0;
    b = (b + a) >>> 0;
    a = (a - c) >>> 0;
    a = (a ^ rol32(c, 16)) >>> 0;
    c = (c + b) >>> 0;
    b = (b - a) >>> 0;
    b = (b ^ rol32(a, 19)) >>> 0;
    a = (a + c) >>> 0;
    c = (c - b) >>> 0;
    c = (c ^ rol32(b, 4)) >>> 0;
    b = (b + a) >>> 0;
  };
  const final = () => {
    c = (c ^ b) >>> 0;
    c = (c - rol32(b, 14)) >>> 0;
    a = (a ^ c) >>> 0;
    a = (a - rol32(c, 11)) >>> 0;
    b = (b ^ a) >>> 0;
    b = (b - rol32(a, 25)) >>> 0;
    c = (c ^ b) >>> 0;
    c = (c - rol32(b, 16)) >>> 0;
    a = (a ^ c) >>> 0;
    a = (a - rol32(c, 4)) >>> 0;
    b = (b ^ a) >>> 0;
    b = (b - rol32(a, 14)) >>> 0;
    c = (c ^ b) >>> 0;
    c = (c - rol32(b, 24)) >>> 0;
  };
  while (left > 3) {
    a = (a + words[k]!) >>> 0;
    b = (b + words[k + 1]!) >>> 0;
    c = (c + words[k + 2]!) >>> 0;
    mix();
    left -= 3;
    k += 3;
  }
  if (left > 0) {
    if (left === 3) c = (c + words[k + 2]!) >>> 0;
    if (left >= 2) b = (b + words[k + 1]!) >>> 0;
    a = (a + words[k]!) >>> 0;
    final();
  }
  return c >>> 0;
}

/** Words as the data plane reads them: host (little-endian) loads of network bytes. */
function wordsOf(bytes: Buffer): number[] {
  const words: number[] = [];
  for (let i = 0; i < bytes.length; i += 4) words.push(bytes.readUInt32LE(i));
  return words;
}

export interface FlowTuple {
  src: Buffer; // 16 bytes, IPv4 in the first 4
  dst: Buffer;
  srcPort: number;
  dstPort: number;
  protocol: number;
  family: 4 | 6;
}

/** The 40-byte flow_key exactly as the C struct lays it out. */
export function flowKeyBytes(tuple: FlowTuple): Buffer {
  const key = Buffer.alloc(40);
  tuple.src.copy(key, 0);
  tuple.dst.copy(key, 16);
  key.writeUInt16BE(tuple.srcPort, 32);
  key.writeUInt16BE(tuple.dstPort, 34);
  key[36] = tuple.protocol;
  key[37] = tuple.family;
  return key;
}

/* `seed` is the program's flow_hash_seed setting; FLOW_HASH_SEED is its default (hash seed 0). */
export const hashFlow = (tuple: FlowTuple, seed: number = FLOW_HASH_SEED): number => jhashWords(wordsOf(flowKeyBytes(tuple)), seed);

export const hashSource = (tuple: FlowTuple, seed: number = FLOW_HASH_SEED): number => jhashWords(wordsOf(tuple.src.subarray(0, 16)), seed);
