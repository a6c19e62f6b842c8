/* Backend lists and table statistics shared by the lookup-table tests. */
import type { LookupBackend } from '../../src/lookup/index.js';

/*
 * N backends with keys like the agent's ("198.19.0.7:8080"), weights from
 * `weightOf(i)`. Ids are deliberately not the key order (i * 7 + 3), so a test
 * would notice a builder that writes indices instead of ids.
 */
export function makeBackends(count: number, weightOf: (i: number) => number = () => 1): LookupBackend[] {
  return Array.from({ length: count }, (_, i) => ({
    id: i * 7 + 3,
    key: `198.19.${i >> 8}.${i & 255}:8080`,
    weight: weightOf(i),
  }));
}

/** The weights 1, 2, 3, 1, 2, 3, ... */
export const oneTwoThree = (i: number): number => (i % 3) + 1;

/** Deterministic pseudo-random numbers in [0, 1), so failures reproduce. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
}

/** Fisher-Yates shuffle into a new array. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/** How many of the first `length` slots hold each id. */
export function countSlots(table: Uint16Array, length: number = table.length): Map<number, number> {
  const counts = new Map<number, number>();
  for (let s = 0; s < length; s++) counts.set(table[s]!, (counts.get(table[s]!) ?? 0) + 1);
  return counts;
}

/** Backends sorted by key, the order every builder uses. */
export function inKeyOrder(backends: readonly LookupBackend[]): LookupBackend[] {
  return [...backends].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
