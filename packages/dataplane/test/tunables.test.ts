/* Load-time settings (`const volatile` in bpf/src/tunables.h): set before load, read back from the loaded .rodata. */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { FLOW_HASH_SEED, NEXT_HOP_TTL_NS, loadDataplane } from '../src/index.js';
import { SMALL_MAPS, objectPath, scratchBpffs } from './helpers.js';

describe('tunables', () => {
  it('keep the C default when not given', () => {
    const dp = loadDataplane({ objectPath: objectPath(), maxEntries: SMALL_MAPS });
    try {
      assert.deepEqual(dp.tunables(), {
        next_hop_ttl_ns: BigInt(NEXT_HOP_TTL_NS),
        too_big_answers_per_second: 1000n,
        flow_hash_seed: BigInt(FLOW_HASH_SEED),
        flow_events_on: 0n,
      });
    } finally {
      dp.close();
    }
  });

  it('are what the program runs with when given', () => {
    const given = { next_hop_ttl_ns: 123_456_789n, too_big_answers_per_second: 7n, flow_hash_seed: 0xffff_ffffn, flow_events_on: 1n };
    const dp = loadDataplane({ objectPath: objectPath(), maxEntries: SMALL_MAPS, tunables: given });
    try {
      assert.deepEqual(dp.tunables(), given);
    } finally {
      dp.close();
    }
  });

  it('refuse an unknown name or a value out of range before anything is loaded or pinned', () => {
    const bpffs = scratchBpffs();
    /* A fresh bpffs is not empty: the kernel's maps.debug and progs.debug are there. */
    const fresh = readdirSync(bpffs.dir);
    try {
      const load = (tunables: object) => () => loadDataplane({ objectPath: objectPath(), pinDir: bpffs.dir, maxEntries: SMALL_MAPS, tunables });
      assert.throws(
        load({ next_hop_ttl: 1n }),
        /unknown load-time setting "next_hop_ttl"; known: next_hop_ttl_ns, too_big_answers_per_second, flow_hash_seed, flow_events_on/,
      );
      assert.throws(load({ next_hop_ttl_ns: -1n }), /next_hop_ttl_ns must be a bigint 0\.\.2\^64-1, got -1/);
      assert.throws(load({ next_hop_ttl_ns: 1n << 64n }), /next_hop_ttl_ns must be a bigint/);
      assert.throws(load({ next_hop_ttl_ns: 1000 }), /next_hop_ttl_ns must be a bigint 0\.\.2\^64-1, got 1000/);
      /* The flow hash seed is a __u32 in a __u64 slot: the C would silently drop the high bits. */
      assert.throws(load({ flow_hash_seed: 1n << 32n }), /flow_hash_seed must be a bigint 0\.\.2\^32-1, got 4294967296/);
      assert.deepEqual(readdirSync(bpffs.dir), fresh);
    } finally {
      bpffs.remove();
    }
  });
});
