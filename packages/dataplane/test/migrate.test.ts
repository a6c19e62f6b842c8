/*
 * Upgrading a pinned data plane to a build whose entries differ: the maps of
 * an older build (the SLUICE_TEST_EXTRA_FIELDS object: struct flow_value and
 * struct traffic_counters one u64 longer, so libbpf alone would refuse them
 * with "parameter mismatch") are carried into today's layout, read by the BTF
 * the kernel keeps with each map. What the old program writes between the
 * first copy and the swap is carried by the second pass. A pinned map with no
 * BTF to read it by is refused and left as it was.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  type FlowKey,
  type TrafficCounters,
  addressToBytes,
  encode,
  flowKeyLayout,
  flowValueLayout,
  loadDataplane,
  numPossibleCpus,
  openPinnedMaps,
  trafficCountersLayout,
} from '../src/index.js';
import { checked, checkedPointer } from '../src/errors.js';
import { c } from '../src/libc.js';
import { libbpf } from '../src/libbpf.js';
import { SMALL_MAPS, hasCommand, objectPath, scratchBpffs, variantObjectPath, zeroFlowValue } from './helpers.js';

const EXTRA = 8; /* the old build's one more u64 at the end of each struct */

/** Loads and pins the old build's maps the way its agent would have, then lets the object go (the pins stay). */
function pinOldBuild(object: string, pinDir: string): void {
  const obj = checkedPointer('bpf_object__open_file', object, () => libbpf.bpf_object__open_file(object, null));
  try {
    for (let map = libbpf.bpf_object__next_map(obj, null); map; map = libbpf.bpf_object__next_map(obj, map)) {
      if (libbpf.bpf_map__is_internal(map)) continue;
      const name = libbpf.bpf_map__name(map);
      const small = (SMALL_MAPS as Record<string, number>)[name];
      if (small) checked('bpf_map__set_max_entries', name, () => libbpf.bpf_map__set_max_entries(map, small));
      checked('bpf_map__set_pin_path', name, () => libbpf.bpf_map__set_pin_path(map, join(pinDir, name)));
    }
    checked('bpf_object__load', object, () => libbpf.bpf_object__load(obj));
  } finally {
    libbpf.bpf_object__close(obj);
  }
}

/** The old build's map by its pin, written raw (its layout is not today's). */
function oldMap(pinDir: string, name: string) {
  const fd = checked('bpf_obj_get', name, () => libbpf.bpf_obj_get(join(pinDir, name)));
  return {
    update(key: Buffer, value: Buffer) {
      checked('bpf_map_update_elem', name, () => libbpf.bpf_map_update_elem(fd, key, value, 0));
    },
    close: () => c.close(fd),
  };
}

const flowKey = (port: number): FlowKey => ({
  src: addressToBytes('198.18.0.10').bytes,
  dst: addressToBytes('198.18.100.1').bytes,
  src_port: port,
  dst_port: 80,
  protocol: 6,
  family: 2,
  pad: 0,
});
const flowValue = (packets: bigint, tcpState: number) => ({
  ...zeroFlowValue(),
  created_ns: 11n,
  last_seen_ns: 12n,
  packets,
  bytes: packets * 100n,
  backend_id: 3,
  service_id: 1,
  tcp_state: tcpState,
});

/* An old flow entry: today's bytes, then test_extra (which the upgrade drops). */
const oldFlowValue = (packets: bigint, tcpState: number) => Buffer.concat([encode(flowValueLayout, flowValue(packets, tcpState)), Buffer.alloc(EXTRA, 0xee)]);

const counters = (packets: bigint): TrafficCounters => ({
  packets,
  bytes: packets * 64n,
  reply_packets: packets,
  reply_bytes: packets * 64n,
  new_flows: 1n,
  drops: 0n,
});
/* Per CPU, each CPU's copy 8-byte aligned: 48 + 8 = 56 bytes in the old build. */
function oldCountersValue(packetsOf: (cpu: number) => bigint): Buffer {
  const cpus = numPossibleCpus();
  return Buffer.concat(
    Array.from({ length: cpus }, (_, cpu) => Buffer.concat([encode(trafficCountersLayout, counters(packetsOf(cpu))), Buffer.alloc(EXTRA, 0xee)])),
  );
}

describe('migrating pinned maps of another build', () => {
  let bpffs: ReturnType<typeof scratchBpffs>;
  beforeEach(() => {
    bpffs = scratchBpffs();
  });
  afterEach(() => bpffs.remove());

  it('carries flows and per-CPU counters into the new layout, and what the old program wrote before the swap', () => {
    pinOldBuild(variantObjectPath('SLUICE_TEST_EXTRA_FIELDS'), bpffs.dir);
    const oldFlows = oldMap(bpffs.dir, 'flows');
    const oldCounters = oldMap(bpffs.dir, 'service_counters');
    const cpus = numPossibleCpus();
    const counterKey = Buffer.from([1, 0, 0, 0]);
    try {
      oldFlows.update(encode(flowKeyLayout, flowKey(40001)), oldFlowValue(5n, 1));
      oldFlows.update(encode(flowKeyLayout, flowKey(40002)), oldFlowValue(7n, 1));
      oldCounters.update(
        counterKey,
        oldCountersValue((cpu) => BigInt(cpu + 1)),
      );

      const dp = loadDataplane({ objectPath: objectPath(), pinDir: bpffs.dir, maxEntries: SMALL_MAPS });
      try {
        assert.deepEqual([...dp.migratedMaps].sort(), [
          'map "backend_counters": value dropped test_extra',
          /* The new-flow scratch too (its one entry per CPU is rewritten before every use). */
          'map "flow_drafts": value dropped test_extra',
          'map "flows": value dropped test_extra',
          /* The half-open table holds the same struct flow_value. */
          'map "half_open_flows": value dropped test_extra',
          'map "service_counters": value dropped test_extra',
        ]);
        assert.ok(dp.adoptedMaps.includes('services') && !dp.adoptedMaps.includes('flows'));
        /* First pass done, program not swapped: the new maps hold the copies, the pins are still the old maps. */
        assert.deepEqual(dp.maps.flows.lookup(flowKey(40001)), flowValue(5n, 1));
        assert.deepEqual(
          dp.maps.serviceCounters.lookup(1),
          Array.from({ length: cpus }, (_, cpu) => counters(BigInt(cpu + 1))),
        );

        /* The old program, still running until the swap: a new flow, a flow that moved on, counters that grew. */
        oldFlows.update(encode(flowKeyLayout, flowKey(40003)), oldFlowValue(1n, 1));
        oldFlows.update(encode(flowKeyLayout, flowKey(40001)), oldFlowValue(9n, 4));
        oldCounters.update(
          counterKey,
          oldCountersValue((cpu) => BigInt(cpu + 1) + 10n),
        );
        /* The new program, already swapped in on one interface: it counted too, and touched flow 40002. */
        const touched = dp.maps.serviceCounters.lookup(1)!;
        touched[0] = { ...touched[0]!, packets: touched[0]!.packets + 100n };
        dp.maps.serviceCounters.update(1, touched);
        dp.maps.flows.update(flowKey(40002), flowValue(8n, 2));

        assert.deepEqual(dp.finishMigration().sort(), [
          'map "backend_counters": 0 entries copied, 0 more after the swap',
          'map "flow_drafts": 0 entries copied, 0 more after the swap',
          'map "flows": 2 entries copied, 2 more after the swap',
          'map "half_open_flows": 0 entries copied, 0 more after the swap',
          'map "service_counters": 1 entry copied, 1 more after the swap',
        ]);
      } finally {
        dp.close();
      }
    } finally {
      oldFlows.close();
      oldCounters.close();
    }

    const pinned = openPinnedMaps(bpffs.dir);
    try {
      assert.deepEqual(pinned.maps.flows.lookup(flowKey(40001)), flowValue(9n, 4), 'changed by the old program only: its last word');
      assert.deepEqual(pinned.maps.flows.lookup(flowKey(40002)), flowValue(8n, 2), 'changed by the new program: the new program is newer');
      assert.deepEqual(pinned.maps.flows.lookup(flowKey(40003)), flowValue(1n, 1), 'appeared before the swap');
      const perCpu = pinned.maps.serviceCounters.lookup(1)!;
      assert.deepEqual(
        perCpu.map((v) => v.packets),
        Array.from({ length: cpus }, (_, cpu) => BigInt(cpu + 1) + 10n + (cpu === 0 ? 100n : 0n)),
        "counters carry both programs' increments",
      );
    } finally {
      pinned.close();
    }
  });

  it('refuses a pinned map of another layout that carries no BTF, and leaves it in place', {
    skip: !hasCommand('bpftool') && 'bpftool is not installed',
  }, () => {
    loadDataplane({ objectPath: objectPath(), pinDir: bpffs.dir, maxEntries: SMALL_MAPS }).close();
    const flowsPin = join(bpffs.dir, 'flows');
    execFileSync('rm', [flowsPin]);
    /* What a build without BTF would leave: the same map, one u64 longer, no key/value types. */
    execFileSync('bpftool', [
      'map',
      'create',
      flowsPin,
      'type',
      'lru_hash',
      'key',
      String(flowKeyLayout.size),
      'value',
      String(flowValueLayout.size + EXTRA),
      'entries',
      String(SMALL_MAPS.flows),
      'name',
      'flows',
    ]);
    const before = execFileSync('bpftool', ['-j', 'map', 'show', 'pinned', flowsPin], { encoding: 'utf8' });
    assert.throws(
      () => loadDataplane({ objectPath: objectPath(), pinDir: bpffs.dir, maxEntries: SMALL_MAPS }),
      (err: unknown) => err instanceof Error && /^migrate\(map "flows"\): .*carries no BTF to say how to read its entries.*sluice teardown/.test(err.message),
    );
    assert.equal(execFileSync('bpftool', ['-j', 'map', 'show', 'pinned', flowsPin], { encoding: 'utf8' }), before, 'the old map is still pinned, untouched');
  });
});
