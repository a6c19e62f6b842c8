/*
 * MurmurHash3 x86_32 (Austin Appleby, public domain), over UTF-8 bytes.
 *
 * Used to place backends in Maglev tables. It must be well defined and stable
 * forever: two agents (or one agent before and after an upgrade) must build the
 * same table from the same backends, or flows move for no reason. Output is
 * bit-identical to the reference C MurmurHash3_x86_32 on a little-endian host;
 * the tests pin published test vectors.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
const BLOCK_ROUND_ADD = 0xe6546b64;
const FMIX_M1 = 0x85ebca6b;
const FMIX_M2 = 0xc2b2ae35;

function rotl32(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function scrambleBlock(k: number): number {
  return Math.imul(rotl32(Math.imul(k, C1), 15), C2);
}

/* Final avalanche: every input bit flips each output bit with probability ~1/2. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, FMIX_M1);
  h ^= h >>> 13;
  h = Math.imul(h, FMIX_M2);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Unsigned 32-bit MurmurHash3 x86_32 of `bytes` with `seed`. */
export function murmur3x86_32(bytes: Uint8Array, seed: number): number {
  const length = bytes.length;
  const blockEnd = length & ~3;
  let h = seed | 0;
  for (let i = 0; i < blockEnd; i += 4) {
    // Blocks are read little-endian, as the reference does on x86.
    const k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    h ^= scrambleBlock(k);
    h = (Math.imul(rotl32(h, 13), 5) + BLOCK_ROUND_ADD) | 0;
  }
  let tail = 0;
  switch (length & 3) {
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: the tail bytes accumulate from the last down, as in the reference
    case 3:
      tail ^= bytes[blockEnd + 2]! << 16;
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: falls through, as above
    case 2:
      tail ^= bytes[blockEnd + 1]! << 8;
    // falls through
    case 1:
      tail ^= bytes[blockEnd]!;
      h ^= scrambleBlock(tail);
  }
  // The reference mixes in the length as a 32-bit int.
  return fmix32(h ^ length);
}

const utf8 = new TextEncoder();

/** MurmurHash3 x86_32 of a string's UTF-8 encoding. */
export function murmur3String(text: string, seed: number): number {
  return murmur3x86_32(utf8.encode(text), seed);
}
