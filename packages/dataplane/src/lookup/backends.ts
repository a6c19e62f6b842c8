/*
 * The backend list every table builder takes, its validation, and the one
 * order all builders use.
 */
import { MAX_BACKEND_ID, MAX_WEIGHT, MIN_WEIGHT } from './constants.js';

export interface LookupBackend {
  /** Backend id: the u16 value written into table slots (0 .. 0xfffe). */
  id: number;
  /**
   * Stable identity of the backend, e.g. "198.19.1.2:8080". Maglev hashes it,
   * so it must be spelled the same way everywhere (canonical address form).
   */
  key: string;
  /** Relative share of new flows, 1 .. 65535. */
  weight: number;
}

/**
 * Throws a RangeError unless the backends can go into a table of `size` slots:
 * ids are u16 other than NO_BACKEND, weights are integers in range, keys and
 * ids are unique, and every backend can get at least one slot.
 */
export function validateBackends(backends: readonly LookupBackend[], size: number): void {
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`table size must be a positive integer, got ${size}`);
  }
  if (backends.length > size) {
    throw new RangeError(`${backends.length} backends do not fit a table of ${size} slots`);
  }
  const keys = new Set<string>();
  const ids = new Set<number>();
  for (const { id, key, weight } of backends) {
    if (!Number.isInteger(id) || id < 0 || id > MAX_BACKEND_ID) {
      throw new RangeError(`backend id ${id} is not in 0..${MAX_BACKEND_ID}`);
    }
    if (!Number.isInteger(weight) || weight < MIN_WEIGHT || weight > MAX_WEIGHT) {
      throw new RangeError(`backend ${key}: weight ${weight} is not in ${MIN_WEIGHT}..${MAX_WEIGHT}`);
    }
    if (keys.has(key)) throw new RangeError(`backend key ${key} appears twice`);
    if (ids.has(id)) throw new RangeError(`backend id ${id} appears twice`);
    keys.add(key);
    ids.add(id);
  }
}

/*
 * Sorted by key, comparing UTF-16 code units rather than with localeCompare,
 * whose order depends on the host's locale and ICU version: the table must be
 * the same on every machine whatever order the backends were added in.
 */
export function sortedByKey(backends: readonly LookupBackend[]): LookupBackend[] {
  return [...backends].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
