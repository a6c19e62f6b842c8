/*
 * The operator's hash seed (`sluice agent --hash-seed N`, 0..2^32-1) and the
 * one rule that turns it into every seed a backend choice depends on: the
 * data plane's flow hash (FLOW_HASH_SEED of sluice_shared.h, set as the
 * load-time setting flow_hash_seed) and Maglev's two permutation hashes.
 * Each is its fixed base XOR the hash seed, so seed 0 keeps every base, and
 * with it every table and hash of a build without the setting, bit for bit.
 *
 * Nodes that share an ECMP group must run the same hash seed (and the same
 * LOOKUP_TABLE_SIZE): a packet moved to another node is steered there by the
 * flow hash into that node's table, which must name the same backend.
 */
import { FLOW_HASH_SEED } from '../generated/layout.js';

export const DEFAULT_HASH_SEED = 0;
export const MAX_HASH_SEED = 0xffff_ffff;

/** Throws a RangeError that says what is allowed, for anything but a whole number 0..2^32-1. */
export function checkHashSeed(hashSeed: number): void {
  if (!Number.isInteger(hashSeed) || hashSeed < 0 || hashSeed > MAX_HASH_SEED)
    throw new RangeError(`hash seed must be a whole number 0 to ${MAX_HASH_SEED} (2^32-1), got ${hashSeed}`);
}

/** A fixed base seed combined with the operator's hash seed: the one rule. */
export function derivedSeed(base: number, hashSeed: number): number {
  checkHashSeed(hashSeed);
  return (base ^ hashSeed) >>> 0;
}

/** The value of the program's flow_hash_seed setting for this hash seed. */
export function flowHashSeed(hashSeed: number): number {
  return derivedSeed(FLOW_HASH_SEED, hashSeed);
}

/** The hash seed a loaded program runs with, from its flow_hash_seed setting (the inverse of flowHashSeed). */
export function hashSeedOfFlowSeed(flowSeed: number | bigint): number {
  return (Number(flowSeed) ^ FLOW_HASH_SEED) >>> 0;
}
