/*
 * Per-service lookup tables: what the agent writes into the idle copy of a
 * service's table before flipping the service to it.
 */
import { type LookupBackend, validateBackends } from './backends.js';
import { LEAST_CONN_CANDIDATES, LOOKUP_TABLE_SIZE, NO_BACKEND } from './constants.js';
import { buildMaglevTable } from './maglev.js';
import { buildWeightedSequence } from './sequence.js';
import { DEFAULT_HASH_SEED, checkHashSeed } from './seed.js';

export { LEAST_CONN_CANDIDATES, LOOKUP_TABLE_SIZE, NO_BACKEND };
export type { LookupBackend };
export { buildMaglevTable, maglevPermutation } from './maglev.js';
export { buildWeightedSequence, type WeightedSequence } from './sequence.js';
export { DEFAULT_HASH_SEED, MAX_HASH_SEED, checkHashSeed, derivedSeed, flowHashSeed, hashSeedOfFlowSeed } from './seed.js';

export type LookupAlgorithm = 'round-robin' | 'weighted-round-robin' | 'least-connections' | 'source-hash' | 'maglev';

export interface LookupTable {
  table: Uint16Array;
  /**
   * Value for service_config.sequence_length: the slots the data plane
   * indexes modulo. One period for the sequences (0 when there is no
   * backend), the whole table for the hashed algorithms.
   */
  sequenceLength: number;
}

/**
 * Table for one service. Round robin ignores weights (period N, key order);
 * weighted round robin and least connections use the weighted sequence, whose
 * consecutive slots give least connections varied candidates in weight
 * proportion; source hash and Maglev index the Maglev table by flow hash.
 * `size` and `leastConnCandidates` mirror LOOKUP_TABLE_SIZE and
 * LEAST_CONN_CANDIDATES of the compiled data plane, `hashSeed` the hash seed
 * it was loaded with (seed.ts). The sequences hash nothing: built from the
 * backends in key order, they are the same on every node whatever the seed
 * (the seed reaches least connections through the data plane's flow hash).
 */
export function buildLookupTable(
  algorithm: LookupAlgorithm,
  backends: readonly LookupBackend[],
  size: number = LOOKUP_TABLE_SIZE,
  leastConnCandidates: number = LEAST_CONN_CANDIDATES,
  hashSeed: number = DEFAULT_HASH_SEED,
): LookupTable {
  /* Checked for every algorithm, so a bad seed fails the same way whatever the service. */
  checkHashSeed(hashSeed);
  switch (algorithm) {
    case 'round-robin': {
      // Weights are ignored but still checked, so a bad one fails the same way for every algorithm.
      validateBackends(backends, size);
      const unweighted = backends.map((backend) => ({ ...backend, weight: 1 }));
      const { table, length } = buildWeightedSequence(unweighted, size, leastConnCandidates);
      return { table, sequenceLength: length };
    }
    case 'weighted-round-robin':
    case 'least-connections': {
      const { table, length } = buildWeightedSequence(backends, size, leastConnCandidates);
      return { table, sequenceLength: length };
    }
    case 'source-hash':
    case 'maglev':
      return { table: buildMaglevTable(backends, size, hashSeed), sequenceLength: size };
    default: {
      const unknown: never = algorithm;
      throw new RangeError(`unknown algorithm ${String(unknown)}`);
    }
  }
}
