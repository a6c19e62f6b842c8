/* Load-time settings (`const volatile` in bpf/src/tunables.h): set before load, read back from the loaded .rodata. */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { NEXT_HOP_TTL_NS, loadDataplane } from '../src/index.js';
import { SMALL_MAPS, objectPath, scratchBpffs } from './helpers.js';

describe('tunables', () => {
  it('keep the C default when not given', () => {
    const dp = loadDataplane({ objectPath: objectPath(), maxEntries: SMALL_MAPS });
    try {
      assert.deepEqual(dp.tunables(), { next_hop_ttl_ns: BigInt(NEXT_HOP_TTL_NS), too_big_answers_per_second: 1000n });
    } finally {
      dp.close();
    }
  });

  it('are what the program runs with when given', () => {
    const dp = loadDataplane({ objectPath: objectPath(), maxEntries: SMALL_MAPS, tunables: { next_hop_ttl_ns: 123_456_789n, too_big_answers_per_second: 7n } });
    try {
      assert.deepEqual(dp.tunables(), { next_hop_ttl_ns: 123_456_789n, too_big_answers_per_second: 7n });
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
      assert.throws(load({ next_hop_ttl: 1n }), /unknown load-time setting "next_hop_ttl"; known: next_hop_ttl_ns, too_big_answers_per_second/);
      assert.throws(load({ next_hop_ttl_ns: -1n }), /next_hop_ttl_ns must be a bigint 0\.\.2\^64-1, got -1/);
      assert.throws(load({ next_hop_ttl_ns: 1n << 64n }), /next_hop_ttl_ns must be a bigint/);
      assert.throws(load({ next_hop_ttl_ns: 1000 }), /next_hop_ttl_ns must be a bigint 0\.\.2\^64-1, got 1000/);
      assert.deepEqual(readdirSync(bpffs.dir), fresh);
    } finally {
      bpffs.remove();
    }
  });
});
