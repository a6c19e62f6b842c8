/*
 * The backend-side decapsulation program (bpf/src/decap.bpf.c): load it,
 * reach its maps typed, run either entry point on a test frame. It has its
 * own object and maps; nothing here touches the balancer's data plane.
 *
 * With a pin directory, maps already pinned there are reused, so loading
 * again (a second `attach`, or the `check` of a running host) sees the
 * addresses and counters of the program that is attached.
 */
import { join } from 'node:path';
import { type AuxLoadOptions, type AuxObject, checkAuxMapShape, closedError, loadAuxObject } from './aux-object.js';
import { type Codec, structCodec, u32Codec, u64Codec } from './codec.js';
import { checked } from './errors.js';
import { type DecapAddressKey, type DecapSettings, SluiceDecapCounter, decapAddressKeyLayout, decapSettingsLayout } from './generated/decap-layout.js';
import { BpfMapType, libbpf } from './libbpf.js';
import { installLibbpfLog } from './libbpf-log.js';
import { c } from './libc.js';
import { BpfMap, type MapInfo, PerCpuMap } from './maps.js';
import { type TestRunOptions, type TestRunResult, testRunTc, testRunXdp } from './test-run.js';

/** The two entry points, by their C names. */
export const DECAP_PROGRAMS = { xdp: 'decap_xdp', tc: 'decap_tc' } as const;
type DecapEntryPoint = (typeof DECAP_PROGRAMS)[keyof typeof DECAP_PROGRAMS];

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

export interface DecapMaps {
  /** This host's tunnel endpoint addresses -> 1 (HASH): only tunnels to these are stripped. */
  addresses: BpfMap<DecapAddressKey, number>;
  /** 0 -> the GUE port (ARRAY of one; port 0: GUE off). */
  settings: BpfMap<number, DecapSettings>;
  /** enum sluice_decap_counter -> packets, per CPU (PERCPU_ARRAY). */
  counters: PerCpuMap<number, bigint>;
}

export type DecapLoadOptions = AuxLoadOptions;

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

const DECAP_LAYOUT_FILE = 'generated/decap-layout.ts';

class LoadedDecap implements DecapProgram {
  readonly maps: DecapMaps;
  readonly programFds: { readonly xdp: number; readonly tc: number };

  constructor(private readonly loaded: AuxObject<DecapMapName, DecapEntryPoint>) {
    this.programFds = { xdp: loaded.programFds[DECAP_PROGRAMS.xdp], tc: loaded.programFds[DECAP_PROGRAMS.tc] };
    const spec = DECAP_MAP_SPECS;
    const info = (name: DecapMapName) => loaded.maps.get(name)!;
    this.maps = {
      addresses: new BpfMap(info('decap_addresses'), spec.decap_addresses.key, spec.decap_addresses.value, loaded),
      settings: new BpfMap(info('decap_settings'), spec.decap_settings.key, spec.decap_settings.value, loaded),
      counters: new PerCpuMap(info('decap_counters'), spec.decap_counters.key, spec.decap_counters.value, loaded),
    };
  }

  get objectPath(): string {
    return this.loaded.objectPath;
  }

  get closed(): boolean {
    return this.loaded.closed;
  }

  #open(): void {
    if (this.closed) throw closedError('decap', this.objectPath);
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
    this.loaded.close();
  }
}

export function loadDecap(options: DecapLoadOptions): DecapProgram {
  const loaded = loadAuxObject({
    ...options,
    maps: DECAP_MAP_SPECS,
    programs: [DECAP_PROGRAMS.xdp, DECAP_PROGRAMS.tc],
    layoutFile: DECAP_LAYOUT_FILE,
  });
  return new LoadedDecap(loaded);
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
    checkAuxMapShape(name, DECAP_MAP_SPECS[name], info, DECAP_LAYOUT_FILE);
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
