/*
 * Weighted Maglev table population (Eisenbud et al., "Maglev: A Fast and
 * Reliable Software Network Load Balancer", NSDI 2016, section 3.4), weighted
 * as Katran's MaglevV2 does it (see turn-order.ts).
 *
 * Every backend walks its own permutation of the slots, (offset + j * skip)
 * mod M, and on each of its turns claims the next slot in it that is still
 * free. Because a backend's permutation depends only on its key, adding or
 * removing one backend changes few of the slots the others claim: most flows
 * keep their backend, on this balancer and on any other that builds the same
 * table.
 */
import { type LookupBackend, sortedByKey, validateBackends } from './backends.js';
import { LOOKUP_TABLE_SIZE, NO_BACKEND } from './constants.js';
import { murmur3x86_32 } from './murmur3.js';
import { DEFAULT_HASH_SEED, checkHashSeed, derivedSeed } from './seed.js';
import { maglevTurnOrder } from './turn-order.js';

/*
 * Offset and skip come from MurmurHash3 of the backend's key with two seeds.
 * The paper only asks for two independent hashes. MurmurHash3 rather than
 * FNV-1a because keys differ in a character or two ("198.19.1.2:8080",
 * "198.19.1.3:8080"): FNV-1a ends with a single multiply after the last byte,
 * so such keys get hashes whose differences are correlated between the two
 * seeds, while MurmurHash3's final avalanche makes them look independent.
 * The base seeds are arbitrary ("offs" and "skip" in ASCII) but fixed
 * forever; the operator's hash seed combines with them (seed.ts), so hash
 * seed 0 keeps them. Changing either reshuffles every table and moves every
 * flow, which is why every node of a fleet must use the same hash seed.
 */
const OFFSET_SEED = 0x6f666673;
const SKIP_SEED = 0x736b6970;

const utf8 = new TextEncoder();

export interface MaglevPermutation {
  /** First slot the backend prefers, 0 .. M-1. */
  offset: number;
  /** Step between its preferences, 1 .. M-1: never 0, so the walk moves on. */
  skip: number;
}

/** Where `key` starts and how it steps through a table of `size` (prime) slots, under the operator's hash seed. */
export function maglevPermutation(key: string, size: number, hashSeed: number = DEFAULT_HASH_SEED): MaglevPermutation {
  const bytes = utf8.encode(key);
  return {
    offset: murmur3x86_32(bytes, derivedSeed(OFFSET_SEED, hashSeed)) % size,
    skip: (murmur3x86_32(bytes, derivedSeed(SKIP_SEED, hashSeed)) % (size - 1)) + 1,
  };
}

/*
 * (offset + j * skip) mod M visits every slot only if skip and M are coprime,
 * which a prime M guarantees for every skip in 1 .. M-1.
 */
function isPrime(n: number): boolean {
  if (!Number.isInteger(n) || n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

/*
 * On each turn the backend walks its permutation from its cursor to the first
 * free slot and claims it. The walk ends: a free slot remains while turns do,
 * and the permutation visits every slot. Both loops below write the walk out
 * in place: through a shared helper the build took 5-10 % longer.
 *
 * `free` is a local copy of NO_BACKEND: V8 checks an imported binding for
 * initialisation on every read, and the walk reads it ~10 times per slot;
 * the copy made the whole build about 4x faster (20 ms -> 5 ms for 100
 * backends).
 */

/*
 * Turns in Katran's rounds, taken as they come: in each round every backend,
 * in index order, adds its weight to a credit and takes a turn once the
 * credit reaches the largest weight (turn-order.ts says why that is the
 * order). Rounds x backends steps: the table's size when the weights are
 * equal, a little more when they are close.
 */
function claimByRounds(table: Uint16Array, weights: Uint32Array, ids: Uint16Array, skips: Int32Array, cursors: Int32Array): void {
  const size = table.length;
  const count = weights.length;
  let maxWeight = 0;
  for (let i = 0; i < count; i++) maxWeight = Math.max(maxWeight, weights[i]!);
  /* Below maxWeight after each step, so credit + weight < 2^17. */
  const credits = new Uint32Array(count);
  const free = NO_BACKEND;
  let filled = 0;
  for (;;) {
    for (let i = 0; i < count; i++) {
      const credit = credits[i]! + weights[i]!;
      if (credit < maxWeight) {
        credits[i] = credit;
        continue;
      }
      credits[i] = credit - maxWeight;
      const skip = skips[i]!;
      let slot = cursors[i]!;
      while (table[slot] !== free) slot = wrapped(slot + skip, size);
      table[slot] = ids[i]!;
      cursors[i] = wrapped(slot + skip, size);
      if (++filled === size) return;
    }
  }
}

/* Turns in an order made beforehand (turn-order.ts), for weights so uneven that rounds would mostly skip. */
function claimInOrder(table: Uint16Array, turns: Uint32Array, ids: Uint16Array, skips: Int32Array, cursors: Int32Array): void {
  const size = table.length;
  const free = NO_BACKEND;
  for (let filled = 0; filled < size; filled++) {
    const i = turns[filled]!;
    const skip = skips[i]!;
    let slot = cursors[i]!;
    while (table[slot] !== free) slot = wrapped(slot + skip, size);
    table[slot] = ids[i]!;
    cursors[i] = wrapped(slot + skip, size);
  }
}

/*
 * How the turns are taken. Round by round costs rounds x backends steps, one
 * add and compare each; the counting sort costs about eight steps per slot
 * however the weights fall (3 backends weighing 3, 1 and 1: a build of 1.13
 * ms with the sorted order, 0.81 ms by rounds). Rounds win until they step
 * about four times per slot; equal weights step once.
 */
export type TurnPlan = 'rounds' | 'sorted';
const ROUND_STEPS_PER_SLOT = 4;

export function maglevTurnPlan(weights: readonly number[] | Uint32Array, size: number): TurnPlan {
  let maxWeight = 0;
  let totalWeight = 0;
  for (const weight of weights) {
    maxWeight = Math.max(maxWeight, weight);
    totalWeight += weight;
  }
  /* Each round gives totalWeight / maxWeight turns. */
  const rounds = Math.ceil((size * maxWeight) / totalWeight);
  return rounds * weights.length <= ROUND_STEPS_PER_SLOT * size ? 'rounds' : 'sorted';
}

/*
 * slot mod size for slot < 2 * size, without a branch: whether a step wraps
 * is a coin toss the CPU mispredicts, and the walk makes one or more steps
 * per slot (about a fifth of a reweight's build time).
 */
function wrapped(slot: number, size: number): number {
  return slot - (size & ((size - 1 - slot) >> 31));
}

/**
 * Maglev lookup table of `size` slots holding backend ids. Depends only on the
 * set of (key, weight) pairs, the ids they map to and the hash seed, never on
 * input order. An empty list gives a table of NO_BACKEND.
 */
export function buildMaglevTable(backends: readonly LookupBackend[], size: number = LOOKUP_TABLE_SIZE, hashSeed: number = DEFAULT_HASH_SEED): Uint16Array {
  validateBackends(backends, size);
  checkHashSeed(hashSeed);
  if (!isPrime(size)) throw new RangeError(`a Maglev table needs a prime size, got ${size}`);
  if (size >= 2 ** 30) throw new RangeError(`a Maglev table of ${size} slots is beyond 2^30`);
  const table = new Uint16Array(size).fill(NO_BACKEND);
  if (backends.length === 0) return table;

  const sorted = sortedByKey(backends);
  const count = sorted.length;
  const ids = new Uint16Array(count);
  const weights = new Uint32Array(count);
  /* Int32: wrapped() works on signed 32-bit values (sizes are far below 2^30). */
  const skips = new Int32Array(count);
  /* Next slot of each backend's permutation, advanced incrementally (no multiply, no overflow). */
  const cursors = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const backend = sorted[i]!;
    const { offset, skip } = maglevPermutation(backend.key, size, hashSeed);
    ids[i] = backend.id;
    weights[i] = backend.weight;
    skips[i] = skip;
    cursors[i] = offset;
  }

  if (maglevTurnPlan(weights, size) === 'rounds') claimByRounds(table, weights, ids, skips, cursors);
  else claimInOrder(table, maglevTurnOrder(weights, size, true), ids, skips, cursors);
  return table;
}
