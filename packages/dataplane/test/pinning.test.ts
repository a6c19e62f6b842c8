/*
 * Adoption across agent restarts: maps pinned by one instance are reused by
 * the next, so what the first wrote (flows, counters) the second sees.
 * Each test mounts its own bpffs in a temporary directory.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { BUILD_RECORD, MAP_NAMES, RING_NAMES, addressToBytes, isBpffs, loadDataplane, openPinnedMaps, unpinAll } from '../src/index.js';
import { SMALL_MAPS, objectPath, scratchBpffs, zeroFlowValue } from './helpers.js';

/* Every map of the program and its flow-event ring. */
const PINNED = [...MAP_NAMES, ...RING_NAMES];

const flowKey = () => {
  const { bytes, family } = addressToBytes('2001:db8::1');
  return { src: bytes, dst: addressToBytes('2001:db8::2').bytes, src_port: 40000, dst_port: 443, protocol: 6, family, pad: 0 };
};
const flowValue = { ...zeroFlowValue(), created_ns: 1n, last_seen_ns: 2n, packets: 3n, bytes: 4n, backend_id: 5, service_id: 6, tcp_state: 2, flags: 0 };

describe('pinned maps', () => {
  let bpffs: ReturnType<typeof scratchBpffs>;
  beforeEach(() => {
    bpffs = scratchBpffs();
  });
  afterEach(() => bpffs.remove());

  it('mounts a bpffs and pins every map there', () => {
    assert.ok(isBpffs(bpffs.dir));
    const dp = loadDataplane({ objectPath: objectPath(), pinDir: bpffs.dir, maxEntries: SMALL_MAPS });
    try {
      assert.deepEqual(dp.adoptedMaps, []);
      for (const name of PINNED) assert.ok(existsSync(join(bpffs.dir, name)), `${name} pinned`);
    } finally {
      dp.close();
    }
  });

  it('a second instance adopts the maps: values written by the first are seen, live and after it closes', () => {
    const first = loadDataplane({ objectPath: objectPath(), pinDir: bpffs.dir, maxEntries: SMALL_MAPS });
    first.maps.flows.update(flowKey(), flowValue);
    first.maps.globalCounters.updateAllCpus(3, 7n);

    const second = loadDataplane({ objectPath: objectPath(), pinDir: bpffs.dir, maxEntries: SMALL_MAPS });
    try {
      assert.deepEqual([...second.adoptedMaps].sort(), [...PINNED].sort());
      assert.deepEqual(second.maps.flows.lookup(flowKey()), flowValue);
      /* The same kernel map, not a copy: a write through one is visible through the other. */
      second.maps.rrCursors.update(1, 99n);
      assert.equal(first.maps.rrCursors.lookup(1), 99n);
      first.close();
      assert.equal(second.maps.globalCounters.lookupSum(3), 7n * BigInt(second.maps.globalCounters.cpus));

      const pinned = openPinnedMaps(bpffs.dir);
      try {
        assert.deepEqual(pinned.maps.flows.lookup(flowKey()), flowValue);
        assert.equal(pinned.maps.rrCursors.lookup(1), 99n);
      } finally {
        pinned.close();
      }
    } finally {
      first.close();
      second.close();
    }
  });

  it('reusePinned: false starts from empty maps', () => {
    const first = loadDataplane({ objectPath: objectPath(), pinDir: bpffs.dir, maxEntries: SMALL_MAPS });
    first.maps.flows.update(flowKey(), flowValue);
    first.close();
    const fresh = loadDataplane({ objectPath: objectPath(), pinDir: bpffs.dir, maxEntries: SMALL_MAPS, reusePinned: false });
    try {
      assert.deepEqual(fresh.adoptedMaps, []);
      assert.equal(fresh.maps.flows.lookup(flowKey()), undefined);
    } finally {
      fresh.close();
    }
  });

  it('a pinned map of another size is migrated, not refused: its entries carried, pinned at its name once finished', () => {
    const first = loadDataplane({ objectPath: objectPath(), pinDir: bpffs.dir, maxEntries: SMALL_MAPS });
    first.maps.flows.update(flowKey(), flowValue);
    first.close();
    const bigger = loadDataplane({ objectPath: objectPath(), pinDir: bpffs.dir, maxEntries: { ...SMALL_MAPS, flows: SMALL_MAPS.flows * 2 } });
    try {
      assert.deepEqual(bigger.migratedMaps, [`map "flows": max_entries ${SMALL_MAPS.flows} -> ${SMALL_MAPS.flows * 2}`]);
      assert.ok(!bigger.adoptedMaps.includes('flows'));
      assert.deepEqual(bigger.maps.flows.lookup(flowKey()), flowValue, 'copied before the swap');
      assert.deepEqual(bigger.finishMigration(), ['map "flows": 1 entry copied, 0 more after the swap']);
      const pinned = openPinnedMaps(bpffs.dir);
      try {
        assert.equal(pinned.maps.flows.maxEntries, SMALL_MAPS.flows * 2, 'the new map is pinned at the name');
        assert.deepEqual(pinned.maps.flows.lookup(flowKey()), flowValue);
      } finally {
        pinned.close();
      }
    } finally {
      bigger.close();
    }
  });

  it('unpinAll removes the pins (and refuses a directory that is not bpffs)', () => {
    loadDataplane({ objectPath: objectPath(), pinDir: bpffs.dir, maxEntries: SMALL_MAPS }).close();
    assert.deepEqual(unpinAll(bpffs.dir).sort(), [...PINNED, BUILD_RECORD].sort());
    assert.ok(!existsSync(join(bpffs.dir, 'flows')));
    assert.throws(() => unpinAll('/tmp'), /unpinAll\("\/tmp"\): not a bpffs mount/);
  });
});
