/* Every map kind of the loaded program, read and written through the typed wrappers. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkMapShape } from '../src/dataplane-maps.js';
import {
  BatchBuffers,
  type BpfMap,
  type Dataplane,
  DataplaneError,
  type FlowKey,
  type FlowValue,
  SluiceCounter,
  UpdateFlag,
  addressToBytes,
  loadDataplane,
  flowValueLayout,
  lookupTableLayout,
  numPossibleCpus,
  type PerCpuMap,
  trafficCountersLayout,
} from '../src/index.js';
import { REPO_ROOT, SMALL_MAPS, hasCommand, objectPath, variantObjectPath, zeroFlowValue } from './helpers.js';

/* The program's real maps and a body the verifier must refuse (a hash lookup used without a NULL check). */
const REJECTED_PROGRAM = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "maps.h"
SEC("xdp")
int sluice_xdp(struct xdp_md *ctx)
{
	struct vip_key key = {};
	__u32 *services = bpf_map_lookup_elem(&vips, &key);
	return *services;
}
char LICENSE[] SEC("license") = "Dual BSD/GPL";
`;

const CPUS = numPossibleCpus();

function flow(i: number): [FlowKey, FlowValue] {
  const src = addressToBytes(`198.18.${(i >> 8) & 0xff}.${i & 0xff}`).bytes;
  const dst = addressToBytes('198.19.0.1').bytes;
  return [
    { src, dst, src_port: 10000 + (i % 50000), dst_port: 80, protocol: 6, family: 4, pad: 0 },
    {
      ...zeroFlowValue(),
      created_ns: BigInt(i),
      last_seen_ns: BigInt(i) + 5n,
      packets: 1n,
      bytes: 60n,
      backend_id: i % 7,
      service_id: 1,
      tcp_state: 2,
      flags: 0,
    },
  ];
}

describe('maps', () => {
  let dp: Dataplane;
  before(() => {
    dp = loadDataplane({ objectPath: objectPath(), maxEntries: SMALL_MAPS });
  });
  after(() => dp?.close());

  it('applies max_entries overrides', () => {
    assert.equal(dp.maps.flows.maxEntries, SMALL_MAPS.flows);
    assert.equal(dp.maps.lookupTables.maxEntries, SMALL_MAPS.lookup_tables);
  });

  it('HASH services: update, lookup, update flags, delete', () => {
    const { bytes, family } = addressToBytes('198.19.0.1');
    const key = { addr: bytes, port: 80, protocol: 6, family };
    const config = { id: 1, sequence_length: 10, algorithm: 4, mode: 0, active_table: 0, flags: 0, client_rate: 25 };
    const { services } = dp.maps;
    assert.equal(services.lookup(key), undefined);
    services.update(key, config, UpdateFlag.NOEXIST);
    assert.deepEqual(services.lookup(key), config);
    assert.throws(
      () => services.update(key, config, UpdateFlag.NOEXIST),
      (err: unknown) =>
        err instanceof DataplaneError &&
        err.code === 'EEXIST' &&
        /^bpf_map_update_elem\(map "services", BPF_NOEXIST\): File exists \(EEXIST\)/.test(err.message),
    );
    services.update(key, { ...config, active_table: 1 }, UpdateFlag.EXIST);
    assert.equal(services.lookup(key)?.active_table, 1);
    assert.deepEqual([...services.keys()], [key]);
    assert.equal(services.delete(key), true);
    assert.equal(services.delete(key), false);
    assert.throws(() => services.update(key, config, UpdateFlag.EXIST), /BPF_EXIST\): No such file or directory \(ENOENT\)/);
  });

  it('HASH vips: u32 values', () => {
    const key = { addr: addressToBytes('2001:db8::10').bytes, family: 6 };
    dp.maps.vips.update(key, 2);
    assert.equal(dp.maps.vips.lookup(key), 2);
    assert.ok(dp.maps.vips.delete(key));
  });

  it('ARRAY maps: service_vips, backends, rr_cursors, backend_active', () => {
    const { bytes, family } = addressToBytes('198.19.0.2');
    const serviceKey = { addr: bytes, port: 53, protocol: 17, family };
    dp.maps.serviceVips.update(3, serviceKey);
    assert.deepEqual(dp.maps.serviceVips.lookup(3), serviceKey);
    const backend = { addr: addressToBytes('198.18.1.5').bytes, port: 8053, family: 4, flags: 1, service_id: 3, weight: 10 };
    dp.maps.backends.update(7, backend);
    assert.deepEqual(dp.maps.backends.lookup(7), backend);
    dp.maps.rrCursors.update(3, 2n ** 63n);
    assert.equal(dp.maps.rrCursors.lookup(3), 2n ** 63n);
    dp.maps.backendActive.update(7, 42n);
    assert.equal(dp.maps.backendActive.lookup(7), 42n);
    /* Arrays have every index; beyond max_entries there is nothing. */
    assert.equal(dp.maps.backendActive.lookup(8), 0n);
    assert.equal(dp.maps.backendActive.lookup(SMALL_MAPS.backend_active), undefined);
    assert.equal([...dp.maps.backendActive.entries()].length, SMALL_MAPS.backend_active);
    assert.throws(() => dp.maps.backends.delete(7), /bpf_map_delete_elem\(map "backends"\): Invalid argument \(EINVAL\)/);
  });

  it('ARRAY lookup_tables: a whole 65537-slot table', () => {
    const slots = new Uint16Array(lookupTableLayout.members[0]!.length!).map((_, i) => (i * 7) % 4096);
    dp.maps.lookupTables.update(1 * 2 + 1, { slots });
    assert.deepEqual(dp.maps.lookupTables.lookup(3)?.slots, slots);
  });

  it('PERCPU_ARRAY global_counters: one value per CPU and their sum', () => {
    const counters = dp.maps.globalCounters;
    assert.equal(counters.cpus, CPUS);
    const perCpu = Array.from({ length: CPUS }, (_, cpu) => BigInt(cpu + 1));
    counters.update(SluiceCounter.CNT_FLOW_NEW, perCpu);
    assert.deepEqual(counters.lookup(SluiceCounter.CNT_FLOW_NEW), perCpu);
    assert.equal(counters.lookupSum(SluiceCounter.CNT_FLOW_NEW), BigInt((CPUS * (CPUS + 1)) / 2));
    counters.updateAllCpus(SluiceCounter.CNT_FLOW_NEW, 0n);
    assert.equal(counters.lookupSum(SluiceCounter.CNT_FLOW_NEW), 0n);
    assert.throws(() => counters.update(0, [1n].concat(perCpu)), /one per possible CPU/);
  });

  it('PERCPU_ARRAY service_counters and backend_counters: struct sums', () => {
    const one = { packets: 1n, bytes: 100n, reply_packets: 2n, reply_bytes: 200n, new_flows: 1n, drops: 0n };
    dp.maps.serviceCounters.updateAllCpus(2, one);
    assert.deepEqual(dp.maps.serviceCounters.lookupSum(2), {
      packets: BigInt(CPUS),
      bytes: 100n * BigInt(CPUS),
      reply_packets: 2n * BigInt(CPUS),
      reply_bytes: 200n * BigInt(CPUS),
      new_flows: BigInt(CPUS),
      drops: 0n,
    });
    dp.maps.backendCounters.updateAllCpus(5, { ...one, drops: 3n });
    const sums = new Map(dp.maps.backendCounters.sums());
    assert.equal(sums.get(5)?.drops, 3n * BigInt(CPUS));
    assert.equal(sums.size, SMALL_MAPS.backend_counters);
  });

  it('LRU_HASH flows: batch write, batch iteration, batch delete over a few thousand entries', () => {
    const { flows } = dp.maps;
    const entries = Array.from({ length: 3000 }, (_, i) => flow(i));
    assert.equal(flows.updateMany(entries.slice(0, 2000)), 2000);
    for (const [k, v] of entries.slice(2000)) flows.update(k, v);

    const read = [...flows.entries({ batchSize: 256 })];
    assert.equal(read.length, 3000);
    const byCreated = new Map(read.map(([k, v]) => [v.created_ns, k]));
    assert.deepEqual(byCreated.get(1234n), entries[1234]![0]);
    assert.equal([...flows.keys()].length, 3000);

    assert.equal(flows.deleteMany(entries.slice(0, 1000).map(([k]) => k)), 1000);
    assert.equal([...flows.entries()].length, 2000);
    assert.equal(flows.lookup(entries[10]![0]), undefined);
    assert.deepEqual(flows.lookup(entries[2500]![0]), entries[2500]![1]);
  });

  it('rawBatches with kept buffers: a second read reuses them, a read while they are in use gets its own, and both read every entry', () => {
    const { flows } = dp.maps;
    flows.deleteMany([...flows.keys()]);
    flows.updateMany(Array.from({ length: 600 }, (_, i) => flow(i)));
    const kept = new BatchBuffers();
    const readAll = (inner?: () => void) => {
      const seen: { keys: Buffer; entries: number }[] = [];
      for (const [keys, , count] of flows.rawBatches(256, kept)) {
        seen.push({ keys, entries: count });
        inner?.();
      }
      return seen;
    };
    const first = readAll();
    assert.equal(
      first.reduce((n, b) => n + b.entries, 0),
      600,
    );
    assert.ok(
      first.every((b) => b.keys === kept.keys),
      'every batch of the read came in the kept buffer',
    );
    const keptKeys = kept.keys;
    let nested: { keys: Buffer; entries: number }[] = [];
    const second = readAll(() => {
      if (nested.length === 0) nested = readAll();
    });
    assert.equal(kept.keys, keptKeys, 'the second read grew nothing: the same buffer');
    assert.ok(
      second.every((b) => b.keys === keptKeys),
      'the outer read used the kept buffer',
    );
    assert.ok(
      nested.every((b) => b.keys !== keptKeys),
      'the read started while it was in use got a buffer of its own',
    );
    assert.equal(
      nested.reduce((n, b) => n + b.entries, 0),
      600,
    );
    assert.equal(kept.inUse, false, 'released once the reads ended');
    flows.deleteMany([...flows.keys()]);
  });
  it('refuses a key of the wrong size before it reaches the kernel', () => {
    assert.throws(
      () => dp.maps.services.updateBytes(Buffer.alloc(3), Buffer.alloc(dp.maps.services.valueBytes)),
      (err: unknown) =>
        err instanceof DataplaneError &&
        err.code === 'EINVAL' &&
        err.message.startsWith(`bpf_map_update_elem(map "services"): key is 3 bytes but the map's key_size is ${dp.maps.services.keySize}`),
    );
  });
});

describe('load-time checks', () => {
  it('names the map and sizes when the object and layout disagree', () => {
    const info = { name: 'services', fd: -1, type: 1, keySize: 24, valueSize: 12, maxEntries: 1 };
    assert.throws(
      () => checkMapShape('services', info, 'bpf_map'),
      /^DataplaneError: bpf_map__key_size\(map "services"\): key_size is 24 but struct service_key is 20 bytes/,
    );
    assert.throws(() => checkMapShape('services', { ...info, type: 2 }, 'bpf_map'), /bpf_map__type\(map "services"\): is ARRAY, the agent expects HASH/);
  });

  it("tells an operator that this build's agent migrates a data plane pinned by another build (an upgrade)", () => {
    /* The flow entry of the build before one entry per flow: 80 bytes. */
    const info = { name: 'flows', fd: -1, type: 9, keySize: 40, valueSize: 80, maxEntries: 2097152 };
    assert.throws(
      () => checkMapShape('flows', info, 'bpf_obj_get_info_by_fd'),
      /value_size is 80 but struct flow_value is \d+ bytes; the pinned maps come from another build of the data plane; start this build's agent, which migrates them and keeps every flow/,
    );
  });

  it("an older build's raw value maps (the bench's baseline) are read in batches of that build's value size", () => {
    /* The extra-fields build's flow entry and traffic counters are 8 bytes longer than this build's. */
    const older = variantObjectPath('SLUICE_TEST_EXTRA_FIELDS');
    const dp = loadDataplane({
      objectPath: older,
      maxEntries: SMALL_MAPS,
      rawValueMaps: ['flows', 'half_open_flows', 'flow_drafts', 'service_counters', 'backend_counters'],
    });
    try {
      const flows = dp.maps.flows as unknown as BpfMap<FlowKey, Buffer>;
      assert.equal(flows.valueBytes, flowValueLayout.size + 8);
      const entries = Array.from({ length: 3000 }, (_, i): [FlowKey, Buffer] => [flow(i)[0], Buffer.alloc(flows.valueBytes, i % 251)]);
      assert.equal(flows.updateMany(entries), entries.length);
      let seen = 0;
      /* Batches sized by this build's layout had the kernel write past their end (the heap corrupted). */
      for (const [keys, values, count] of flows.rawBatches(1024)) {
        assert.equal(values.length, 1024 * flows.valueBytes);
        assert.equal(keys.length, 1024 * flows.keySize);
        for (let i = 0; i < count; i++) {
          const value = values.subarray(i * flows.valueBytes, (i + 1) * flows.valueBytes);
          assert.ok(
            value.every((b) => b === value[0]),
            'each entry comes back whole, at its own stride',
          );
        }
        seen += count;
      }
      assert.equal(seen, entries.length);
      const counters = dp.maps.backendCounters as unknown as PerCpuMap<number, Buffer>;
      assert.equal(counters.valueBytes, CPUS * (trafficCountersLayout.size + 8));
      assert.equal(counters.lookup(1)?.length, CPUS);
    } finally {
      dp.close();
    }
  });

  it('names the object, map or program that is missing', () => {
    assert.throws(
      () => loadDataplane({ objectPath: '/nonexistent/sluice.bpf.o' }),
      /^DataplaneError: bpf_object__open_file\("\/nonexistent\/sluice.bpf.o"\): No such file or directory \(ENOENT\)/,
    );
    assert.throws(
      () => loadDataplane({ objectPath: objectPath(), maxEntries: SMALL_MAPS, programName: 'no_such_prog' }),
      /bpf_object__find_program_by_name\(program "no_such_prog" in ".*"\): No such file or directory \(ENOENT\)/,
    );
    assert.throws(() => loadDataplane({ objectPath: objectPath(), maxEntries: { nope: 1 } as never }), /bpf_map__set_max_entries\(map "nope"\): no such map/);
  });

  it("quotes the verifier's reason when the program is rejected", { skip: hasCommand('clang') ? false : 'clang is not installed' }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-rejected-'));
    try {
      writeFileSync(join(dir, 'rejected.bpf.c'), REJECTED_PROGRAM);
      const include = (p: string) => ['-I', join(REPO_ROOT, p)];
      execFileSync('clang', [
        '-O2',
        '-g',
        '-target',
        'bpf',
        ...include('bpf/include'),
        ...include('bpf/src'),
        '-I',
        '/usr/include/x86_64-linux-gnu',
        '-c',
        join(dir, 'rejected.bpf.c'),
        '-o',
        join(dir, 'rejected.bpf.o'),
      ]);
      assert.throws(
        () => loadDataplane({ objectPath: join(dir, 'rejected.bpf.o'), maxEntries: SMALL_MAPS }),
        (err: unknown) =>
          err instanceof DataplaneError &&
          err.call === 'bpf_object__load' &&
          err.code === 'EACCES' &&
          /invalid mem access 'map_value_or_null'/.test(err.message) &&
          /BEGIN PROG LOAD LOG/.test(err.libbpfLog),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to use a closed data plane', () => {
    const dp = loadDataplane({ objectPath: objectPath(), maxEntries: SMALL_MAPS });
    const { vips } = dp.maps;
    dp.close();
    assert.throws(() => vips.lookup({ addr: Buffer.alloc(16), family: 4 }), /\(EBADF\)/);
    assert.throws(() => dp.testRun({ data: Buffer.alloc(64) }), /already closed \(EBADF\)/);
  });
});
