/*
 * The backend-side decapsulation program (bpf/src/decap.bpf.c): load it,
 * reach its maps typed, run either entry point on a test frame. It has its
 * own object and maps; nothing here touches the balancer's data plane.
 *
 * With a pin directory, maps already pinned there are reused, so loading
 * again (a second `attach`, or the `check` of a running host) sees the
 * addresses and counters of the program that is attached.
 */
import { existsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { ensureBpffs } from './bpffs.js';
import { type Codec, structCodec, u32Codec, u64Codec } from './codec.js';
import { DataplaneError, checked, checkedPointer } from './errors.js';
import { type DecapAddressKey, type DecapSettings, SluiceDecapCounter, decapAddressKeyLayout, decapSettingsLayout } from './generated/decap-layout.js';
import { BpfMapType, type BpfMapPtr, type BpfObjectPtr, libbpf, mapTypeName } from './libbpf.js';
import { installLibbpfLog } from './libbpf-log.js';
import { c } from './libc.js';
import { BpfMap, type MapInfo, PerCpuMap } from './maps.js';
import { type TestRunOptions, type TestRunResult, testRunTc, testRunXdp } from './test-run.js';

/** The two entry points, by their C names. */
export const DECAP_PROGRAMS = { xdp: 'decap_xdp', tc: 'decap_tc' } as const;

/* The address map's value is a presence flag (always 1). */
const u8Codec: Codec<number> = {
  size: 1,
  encodeInto: (v, buf, offset) => void buf.writeUInt8(v, offset),
  decodeFrom: (buf, offset) => buf.readUInt8(offset),
};

const DECAP_MAP_SPECS = {
  decap_addresses: { type: BpfMapType.HASH, key: structCodec(decapAddressKeyLayout), value: u8Codec },
  decap_settings: { type: BpfMapType.ARRAY, key: u32Codec, value: structCodec(decapSettingsLayout) },
  decap_counters: { type: BpfMapType.PERCPU_ARRAY, key: u32Codec, value: u64Codec },
} as const;

export type DecapMapName = keyof typeof DECAP_MAP_SPECS;
export const DECAP_MAP_NAMES = Object.keys(DECAP_MAP_SPECS) as DecapMapName[];

export interface DecapMaps {
  /** This host's tunnel endpoint addresses -> 1 (HASH): only tunnels to these are stripped. */
  addresses: BpfMap<DecapAddressKey, number>;
  /** 0 -> the GUE port (ARRAY of one; port 0: GUE off). */
  settings: BpfMap<number, DecapSettings>;
  /** enum sluice_decap_counter -> packets, per CPU (PERCPU_ARRAY). */
  counters: PerCpuMap<number, bigint>;
}

export interface DecapLoadOptions {
  objectPath: string;
  /** bpffs directory to pin (and reuse) the maps in, mounted if needed. Without it nothing is pinned. */
  pinDir?: string;
}

export interface DecapProgram {
  readonly objectPath: string;
  /** Program fds by entry point. */
  readonly programFds: { readonly xdp: number; readonly tc: number };
  readonly maps: DecapMaps;
  readonly closed: boolean;
  testRunXdp(options: TestRunOptions): TestRunResult;
  testRunTc(options: Pick<TestRunOptions, 'data' | 'outputCapacity'>): TestRunResult;
  /** Release the object. Pins and attachments stay. */
  close(): void;
}

function mapInfo(map: BpfMapPtr, fd: number): MapInfo {
  return {
    name: libbpf.bpf_map__name(map),
    fd,
    type: libbpf.bpf_map__type(map),
    keySize: libbpf.bpf_map__key_size(map),
    valueSize: libbpf.bpf_map__value_size(map),
    maxEntries: libbpf.bpf_map__max_entries(map),
  };
}

/* Before load: an object built from another header fails here, not with misaligned bytes. */
function checkShape(name: DecapMapName, info: MapInfo): void {
  const spec = DECAP_MAP_SPECS[name];
  const fail = (detail: string): never => {
    throw new DataplaneError({ call: 'bpf_map', subject: `map "${name}"`, errno: osConstants.errno.EINVAL, detail });
  };
  const hint = 'the object and generated/decap-layout.ts disagree; rebuild bpf/ and run `pnpm gen:layout`';
  if (info.type !== spec.type) fail(`is ${mapTypeName(info.type)}, expected ${mapTypeName(spec.type)}`);
  if (info.keySize !== spec.key.size) fail(`key_size is ${info.keySize}, expected ${spec.key.size}; ${hint}`);
  if (info.valueSize !== spec.value.size) fail(`value_size is ${info.valueSize}, expected ${spec.value.size}; ${hint}`);
}

class LoadedDecap implements DecapProgram {
  closed = false;
  readonly maps: DecapMaps;

  constructor(
    readonly objectPath: string,
    private readonly obj: BpfObjectPtr,
    readonly programFds: { xdp: number; tc: number },
    infos: Map<DecapMapName, MapInfo>,
  ) {
    const spec = DECAP_MAP_SPECS;
    this.maps = {
      addresses: new BpfMap(infos.get('decap_addresses')!, spec.decap_addresses.key, spec.decap_addresses.value, this),
      settings: new BpfMap(infos.get('decap_settings')!, spec.decap_settings.key, spec.decap_settings.value, this),
      counters: new PerCpuMap(infos.get('decap_counters')!, spec.decap_counters.key, spec.decap_counters.value, this),
    };
  }

  #open(): void {
    if (this.closed) {
      throw new DataplaneError({ call: 'decap', subject: `"${this.objectPath}"`, errno: osConstants.errno.EBADF, detail: 'already closed' });
    }
  }

  testRunXdp(options: TestRunOptions): TestRunResult {
    this.#open();
    return testRunXdp(this.programFds.xdp, options);
  }

  testRunTc(options: Pick<TestRunOptions, 'data' | 'outputCapacity'>): TestRunResult {
    this.#open();
    return testRunTc(this.programFds.tc, options);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    libbpf.bpf_object__close(this.obj);
  }
}

export function loadDecap(options: DecapLoadOptions): DecapProgram {
  installLibbpfLog();
  const { objectPath, pinDir } = options;
  const subject = JSON.stringify(objectPath);
  const obj = checkedPointer('bpf_object__open_file', subject, () => libbpf.bpf_object__open_file(objectPath, null));
  try {
    const maps = new Map<DecapMapName, BpfMapPtr>();
    for (const name of DECAP_MAP_NAMES) {
      const map = checkedPointer('bpf_object__find_map_by_name', `map "${name}" in ${subject}`, () => libbpf.bpf_object__find_map_by_name(obj, name));
      checkShape(name, mapInfo(map, -1));
      maps.set(name, map);
    }
    if (pinDir !== undefined) {
      ensureBpffs(pinDir);
      for (const [name, map] of maps) {
        const path = join(pinDir, name);
        /* libbpf reuses a pin at this path (and refuses one of another shape), or pins the new map there. */
        checked('bpf_map__set_pin_path', `map "${name}", "${path}"${existsSync(path) ? ' (reused)' : ''}`, () => libbpf.bpf_map__set_pin_path(map, path));
      }
    }
    checked('bpf_object__load', subject, () => libbpf.bpf_object__load(obj));
    const programFd = (name: string) => {
      const prog = checkedPointer('bpf_object__find_program_by_name', `program "${name}" in ${subject}`, () =>
        libbpf.bpf_object__find_program_by_name(obj, name),
      );
      return checked('bpf_program__fd', `program "${name}"`, () => libbpf.bpf_program__fd(prog));
    };
    const fds = { xdp: programFd(DECAP_PROGRAMS.xdp), tc: programFd(DECAP_PROGRAMS.tc) };
    const infos = new Map<DecapMapName, MapInfo>(
      [...maps].map(([name, map]) => [
        name,
        mapInfo(
          map,
          checked('bpf_map__fd', `map "${name}"`, () => libbpf.bpf_map__fd(map)),
        ),
      ]),
    );
    return new LoadedDecap(objectPath, obj, fds, infos);
  } catch (err) {
    libbpf.bpf_object__close(obj);
    throw err;
  }
}

/* struct bpf_map_info up to and including max_entries. */
const MAP_INFO_PREFIX = 20;

/**
 * The counters of an attached decapsulation program, straight from its pin
 * (no program loaded): packets per outcome, summed over CPUs, by counter name.
 */
export function readPinnedDecapCounters(pinDir: string): Record<string, bigint> {
  installLibbpfLog();
  const name: DecapMapName = 'decap_counters';
  const path = join(pinDir, name);
  const fd = checked('bpf_obj_get', `map "${name}", "${path}"`, () => libbpf.bpf_obj_get(path));
  const owner = { closed: false };
  try {
    const raw = Buffer.alloc(MAP_INFO_PREFIX);
    checked('bpf_obj_get_info_by_fd', `map "${name}", "${path}"`, () => libbpf.bpf_obj_get_info_by_fd(fd, raw, new Uint32Array([MAP_INFO_PREFIX])));
    const info: MapInfo = {
      name,
      fd,
      type: raw.readUInt32LE(0),
      keySize: raw.readUInt32LE(8),
      valueSize: raw.readUInt32LE(12),
      maxEntries: raw.readUInt32LE(16),
    };
    checkShape(name, info);
    const counters = new PerCpuMap(info, DECAP_MAP_SPECS[name].key, DECAP_MAP_SPECS[name].value, owner);
    const result: Record<string, bigint> = {};
    for (const [counter, slot] of Object.entries(SluiceDecapCounter)) {
      if (slot < SluiceDecapCounter.DECAP_CNT_MAX) result[counter] = counters.lookupSum(slot) ?? 0n;
    }
    return result;
  } finally {
    owner.closed = true;
    c.close(fd);
  }
}
