/*
 * Load-time settings of the program: `const volatile` globals in its .rodata
 * (bpf/src/tunables.h), libbpf-bootstrap's habit. Before load the loader
 * writes them into the .rodata map's initial value, at the offsets the
 * object's BTF gives for them; load freezes the map, and the verifier treats
 * them as constants. A setting left out keeps the C default.
 */
import { endianness, constants as osConstants } from 'node:os';
import koffi from 'koffi';
import { DataplaneError, checked, checkedPointer } from './errors.js';
import { type BpfMapPtr, type BpfObjectPtr, libbpf } from './libbpf.js';
import { objectBtf } from './migrate.js';

export interface Tunables {
  /** How long a flow trusts its cached FIB answer, in ns (default NEXT_HOP_TTL_NS of sluice_shared.h, 1 s). */
  next_hop_ttl_ns: bigint;
  /** ICMP too-big answers the program sends per second, all CPUs together (default 1000, Linux's icmp_msgs_per_sec); beyond, packets drop unanswered. */
  too_big_answers_per_second: bigint;
  /** Seed of the flow hashes (default FLOW_HASH_SEED): derive it with flowHashSeed() of lookup/seed.ts, never by hand. At most 2^32-1. */
  flow_hash_seed: bigint;
  /** 1: the program writes flow events for flow sync (bpf/src/flow_events.h); 0 (default): none, at no cost. */
  flow_events_on: bigint;
}
export type TunableName = keyof Tunables;

/* Every setting is a __u64 in C. */
const WIDTH = 8;
const MAX_U64 = (1n << 64n) - 1n;
/* The largest value each setting takes: the flow hash seed is a __u32 kept in a __u64 slot. */
const MAX: Record<TunableName, bigint> = {
  next_hop_ttl_ns: MAX_U64,
  too_big_answers_per_second: MAX_U64,
  flow_hash_seed: (1n << 32n) - 1n,
  flow_events_on: 1n,
};
const TUNABLE_NAMES = Object.keys(MAX) as readonly TunableName[];
const LE = endianness() === 'LE';

/* libbpf names it "<object name>.rodata" (truncated); there is one per object. */
function rodataMap(obj: BpfObjectPtr): BpfMapPtr | undefined {
  for (let map = libbpf.bpf_object__next_map(obj, null); map; map = libbpf.bpf_object__next_map(obj, map)) {
    if (libbpf.bpf_map__is_internal(map) && libbpf.bpf_map__name(map).endsWith('.rodata')) return map;
  }
  return undefined;
}

/** Each setting's offset in .rodata; throws when the object lacks one (a build older than this loader). */
function offsets(obj: BpfObjectPtr, objSubject: string): Map<TunableName, number> {
  const vars = objectBtf(obj, objSubject).sectionVariables('.rodata');
  const found = new Map<TunableName, number>();
  for (const name of TUNABLE_NAMES) {
    const v = vars.find((x) => x.name === name);
    if (!v || v.size !== WIDTH) {
      throw new DataplaneError({
        call: 'load-time settings',
        subject: objSubject,
        errno: osConstants.errno.ENOENT,
        detail: `the object has no const volatile __u64 ${name} in .rodata: it was built from other sources; rebuild it with \`make -C bpf\``,
      });
    }
    found.set(name, v.offset);
  }
  return found;
}

/** Checked before anything is opened: bad input changes nothing. */
export function checkTunables(tunables: Partial<Tunables>): void {
  for (const [name, value] of Object.entries(tunables)) {
    if (!TUNABLE_NAMES.includes(name as TunableName)) throw new RangeError(`unknown load-time setting "${name}"; known: ${TUNABLE_NAMES.join(', ')}`);
    const max = MAX[name as TunableName];
    if (typeof value !== 'bigint' || value < 0n || value > max)
      throw new RangeError(`load-time setting ${name} must be a bigint 0..${max === MAX_U64 ? '2^64-1' : max === 1n ? '1' : '2^32-1'}, got ${String(value)}`);
  }
}

/** Writes the given settings into the opened (not yet loaded) object's .rodata. */
export function applyTunables(obj: BpfObjectPtr, tunables: Partial<Tunables>, objSubject: string): void {
  const settings = Object.entries(tunables).filter(([, value]) => value !== undefined) as [TunableName, bigint][];
  if (settings.length === 0) return;
  const subject = `.rodata of ${objSubject}`;
  const map = rodataMap(obj);
  if (!map) {
    throw new DataplaneError({
      call: 'bpf_map__set_initial_value',
      subject,
      errno: osConstants.errno.ENOENT,
      detail: 'the object has no .rodata map; rebuild it with `make -C bpf`',
    });
  }
  const at = offsets(obj, objSubject);
  const size: [number] = [0];
  const ptr = checkedPointer('bpf_map__initial_value', subject, () => libbpf.bpf_map__initial_value(map, size));
  const bytes = Buffer.from(koffi.decode(ptr, 'uint8_t', Number(size[0])) as number[]);
  for (const [name, value] of settings) {
    if (LE) bytes.writeBigUInt64LE(value, at.get(name)!);
    else bytes.writeBigUInt64BE(value, at.get(name)!);
  }
  checked('bpf_map__set_initial_value', subject, () => libbpf.bpf_map__set_initial_value(map, bytes, bytes.length));
}

/** The settings the loaded program runs with, read back from its frozen .rodata map. */
export function readTunables(obj: BpfObjectPtr, objSubject: string): Tunables {
  const subject = `.rodata of ${objSubject}`;
  const map = rodataMap(obj);
  if (!map) {
    throw new DataplaneError({
      call: 'bpf_map_lookup_elem',
      subject,
      errno: osConstants.errno.ENOENT,
      detail: 'the object has no .rodata map; rebuild it with `make -C bpf`',
    });
  }
  const at = offsets(obj, objSubject);
  const fd = checked('bpf_map__fd', subject, () => libbpf.bpf_map__fd(map));
  const value = Buffer.alloc(libbpf.bpf_map__value_size(map));
  checked('bpf_map_lookup_elem', subject, () => libbpf.bpf_map_lookup_elem(fd, Buffer.alloc(4), value));
  const read = (name: TunableName) => (LE ? value.readBigUInt64LE(at.get(name)!) : value.readBigUInt64BE(at.get(name)!));
  return {
    next_hop_ttl_ns: read('next_hop_ttl_ns'),
    too_big_answers_per_second: read('too_big_answers_per_second'),
    flow_hash_seed: read('flow_hash_seed'),
    flow_events_on: read('flow_events_on'),
  };
}
