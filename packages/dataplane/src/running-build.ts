/*
 * A restart that finds its own build still running takes that program over
 * instead of loading it again: the same object file (sha256), the same
 * load-time settings, on exactly the maps pinned here. Loading would only
 * repeat the kernel's verification of the same instructions on the same
 * kernel, 1.3-2.2 s of every restart on a 2-core machine (bench
 * control-plane/at-scale/restart-to-ready), with the same verdict.
 *
 * The kernel keeps no trace of which file a program came from, so each load
 * records it in a one-entry array pinned beside the maps (BUILD_RECORD): the
 * program's id and the object's sha256. The record lives and dies with the
 * other pins (unpinAll removes it); a program that is gone, another build,
 * other settings, or a program on other maps than the pinned ones (an
 * upgrade cut short before its migrated maps were pinned) means a full load.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import koffi from 'koffi';
import { checked, checkedPointer } from './errors.js';
import { type BpfMapPtr, type BpfObjectPtr, BpfMapType, libbpf } from './libbpf.js';
import { c as libc } from './libc.js';
import { programIdOfFd, programMapIds } from './program-info.js';

export const BUILD_RECORD = 'loaded_build';
/* struct { __u32 program_id; __u8 build_sha256[32]; } */
const RECORD_SIZE = 36;
const SHA256_BYTES = 32;

/* struct bpf_map_info up to name: id at 4, name[16] at 24. */
const MAP_INFO_SIZE = 40;
/* More maps than a program of ours references; the kernel reports the true count in nr_map_ids. */
const MAX_PROGRAM_MAPS = 64;

const KEY_ZERO = Buffer.alloc(4);

/** Keeps which build the program `programFd` was loaded from, for the next start (pinDir must be a bpffs). */
export function recordLoadedBuild(pinDir: string, programFd: number, buildId: string): void {
  const path = join(pinDir, BUILD_RECORD);
  const value = Buffer.alloc(RECORD_SIZE);
  value.writeUInt32LE(programIdOfFd(programFd), 0);
  Buffer.from(buildId, 'hex').copy(value, 4);
  const fd = existsSync(path)
    ? checked('bpf_obj_get', `"${path}"`, () => libbpf.bpf_obj_get(path))
    : checked('bpf_map_create', `map "${BUILD_RECORD}"`, () => libbpf.bpf_map_create(BpfMapType.ARRAY, BUILD_RECORD, 4, RECORD_SIZE, 1, null));
  try {
    checked('bpf_map_update_elem', `map "${BUILD_RECORD}"`, () => libbpf.bpf_map_update_elem(fd, KEY_ZERO, value, 0));
    if (!existsSync(path)) checked('bpf_obj_pin', `"${path}"`, () => libbpf.bpf_obj_pin(fd, path));
  } finally {
    libc.close(fd);
  }
}

export interface RunningBuild {
  /** The running program's fd, ours to close. */
  programFd: number;
  programId: number;
}

/**
 * The program recorded in pinDir if it runs this build with these settings
 * on these pinned maps: `obj` is opened, not loaded, its settings applied
 * and every user map set to its pin path (all of them pinned). On success the
 * object's maps are pointed at the running program's maps (bpf_map__reuse_fd),
 * internal ones included, so the object reads what the program reads.
 * Otherwise the reason why not (the object is then untouched, for a full load).
 */
export function findRunningBuild(pinDir: string, obj: BpfObjectPtr, buildId: string, userMaps: readonly BpfMapPtr[]): RunningBuild | string {
  const recorded = readRecord(join(pinDir, BUILD_RECORD));
  if (!recorded) return 'no record of a running build';
  if (recorded.buildId !== buildId) return 'another build runs';
  const programFd = libbpf.bpf_prog_get_fd_by_id(recorded.programId);
  if (programFd < 0) return `the recorded program (id ${recorded.programId}) is gone`;
  const opened: number[] = [];
  const open = (fd: number) => (opened.push(fd), fd);
  let taken = false;
  try {
    const programMaps = programMapIds(programFd, MAX_PROGRAM_MAPS);
    if (!programMaps) return `the running program uses more than ${MAX_PROGRAM_MAPS} maps`;
    /* Every map the program uses must be one pinned here, or an internal map of this object (.rodata compared). */
    const pinned = new Map<number, [BpfMapPtr, number]>();
    for (const map of userMaps) {
      const path = join(pinDir, libbpf.bpf_map__name(map));
      const fd = open(checked('bpf_obj_get', `"${path}"`, () => libbpf.bpf_obj_get(path)));
      pinned.set(mapInfo(fd).id, [map, fd]);
    }
    const internals = new Map<string, BpfMapPtr>();
    for (let map = libbpf.bpf_object__next_map(obj, null); map; map = libbpf.bpf_object__next_map(obj, map)) {
      if (libbpf.bpf_map__is_internal(map)) internals.set(sectionOf(libbpf.bpf_map__name(map)), map);
    }
    const reuse: [BpfMapPtr, number][] = [...pinned.values()];
    const sections = new Set<string>();
    for (const id of programMaps) {
      if (pinned.has(id)) continue;
      const fd = libbpf.bpf_map_get_fd_by_id(id);
      if (fd < 0) return `map id ${id} of the running program is gone`;
      const section = sectionOf(mapInfo(open(fd)).name);
      const internal = internals.get(section);
      if (!internal) return 'the running program uses a map that is not pinned here';
      if (section === '.rodata' && !sameBytes(fd, internal)) return 'it runs with other load-time settings';
      sections.add(section);
      reuse.push([internal, fd]);
    }
    if (internals.has('.rodata') && !sections.has('.rodata')) return 'its load-time settings cannot be read';
    for (const [map, fd] of reuse) checked('bpf_map__reuse_fd', `map "${libbpf.bpf_map__name(map)}"`, () => libbpf.bpf_map__reuse_fd(map, fd));
    taken = true;
    return { programFd, programId: recorded.programId };
  } finally {
    /* bpf_map__reuse_fd keeps a duplicate of each. */
    for (const fd of opened) libc.close(fd);
    if (!taken) libc.close(programFd);
  }
}

function readRecord(path: string): { programId: number; buildId: string } | undefined {
  if (!existsSync(path)) return undefined;
  const fd = checked('bpf_obj_get', `"${path}"`, () => libbpf.bpf_obj_get(path));
  try {
    const value = Buffer.alloc(RECORD_SIZE);
    if (mapInfo(fd).valueSize !== RECORD_SIZE) return undefined;
    checked('bpf_map_lookup_elem', `map "${BUILD_RECORD}"`, () => libbpf.bpf_map_lookup_elem(fd, KEY_ZERO, value));
    return { programId: value.readUInt32LE(0), buildId: value.subarray(4, 4 + SHA256_BYTES).toString('hex') };
  } finally {
    libc.close(fd);
  }
}

function mapInfo(fd: number): { id: number; valueSize: number; name: string } {
  const info = Buffer.alloc(MAP_INFO_SIZE);
  checked('bpf_obj_get_info_by_fd', `map fd ${fd}`, () => libbpf.bpf_obj_get_info_by_fd(fd, info, new Uint32Array([MAP_INFO_SIZE])));
  const name = info.subarray(24, 40);
  const end = name.indexOf(0);
  return { id: info.readUInt32LE(4), valueSize: info.readUInt32LE(12), name: name.subarray(0, end < 0 ? 16 : end).toString('latin1') };
}

/* An internal map's kernel name is "<object name, truncated>.<section>": ".rodata", ".bss", ".data". */
function sectionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? name : name.slice(dot);
}

/* The running .rodata (frozen at its load) against the settings this start would load with. */
function sameBytes(fd: number, map: BpfMapPtr): boolean {
  const size: [number] = [0];
  const ptr = checkedPointer('bpf_map__initial_value', `map "${libbpf.bpf_map__name(map)}"`, () => libbpf.bpf_map__initial_value(map, size));
  const wanted = Buffer.from(koffi.decode(ptr, 'uint8_t', Number(size[0])) as number[]);
  const running = Buffer.alloc(mapInfo(fd).valueSize);
  if (running.length !== wanted.length) return false;
  checked('bpf_map_lookup_elem', `map "${libbpf.bpf_map__name(map)}"`, () => libbpf.bpf_map_lookup_elem(fd, KEY_ZERO, running));
  return running.equals(wanted);
}
