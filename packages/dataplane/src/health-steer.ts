/*
 * The health-probe steering program (bpf/src/health_steer.bpf.c): load it,
 * reach its maps typed, run it on a test frame. The agent's health checker
 * attaches it at TC egress of the balancer's interfaces and writes one
 * health_probes entry per probed dsr/ipip/gue backend.
 *
 * With a pin directory, maps already pinned there are reused, so an agent
 * that restarts finds the entries and counters of the attached program.
 */
import { existsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { ensureBpffs } from './bpffs.js';
import { structCodec, u32Codec, u64Codec } from './codec.js';
import { DataplaneError, checked, checkedPointer } from './errors.js';
import { type HealthProbe, type HealthProbeKey, healthProbeKeyLayout, healthProbeLayout } from './generated/health-layout.js';
import { BpfMapType, type BpfMapPtr, libbpf, mapTypeName } from './libbpf.js';
import { installLibbpfLog } from './libbpf-log.js';
import { BpfMap, type MapInfo, PerCpuMap } from './maps.js';
import { type TcTestRunOptions, type TestRunResult, testRunTc } from './test-run.js';

/** The entry point, by its C name. */
export const HEALTH_STEER_PROGRAM = 'health_steer';

const HEALTH_MAP_SPECS = {
  health_probes: { type: BpfMapType.HASH, key: structCodec(healthProbeKeyLayout), value: structCodec(healthProbeLayout) },
  health_counters: { type: BpfMapType.PERCPU_ARRAY, key: u32Codec, value: u64Codec },
} as const;

export type HealthMapName = keyof typeof HEALTH_MAP_SPECS;
export const HEALTH_MAP_NAMES = Object.keys(HEALTH_MAP_SPECS) as HealthMapName[];

export interface HealthSteerMaps {
  /** Probe source port -> where and how its packets go (HASH). */
  probes: BpfMap<HealthProbeKey, HealthProbe>;
  /** enum sluice_health_counter -> packets, per CPU (PERCPU_ARRAY). */
  counters: PerCpuMap<number, bigint>;
}

export interface HealthSteerLoadOptions {
  objectPath: string;
  /** bpffs directory to pin (and reuse) the maps in, mounted if needed. Without it nothing is pinned. */
  pinDir?: string;
}

export interface HealthSteerProgram {
  readonly objectPath: string;
  readonly programFd: number;
  readonly maps: HealthSteerMaps;
  readonly closed: boolean;
  testRun(options: TcTestRunOptions): TestRunResult;
  /** Release the object. Pins and attachments stay. */
  close(): void;
}

/* Before load: an object built from another header fails here, not with misaligned bytes. */
function checkShape(name: HealthMapName, map: BpfMapPtr): void {
  const spec = HEALTH_MAP_SPECS[name];
  const fail = (detail: string): never => {
    throw new DataplaneError({ call: 'bpf_map', subject: `map "${name}"`, errno: osConstants.errno.EINVAL, detail });
  };
  const hint = 'the object and generated/health-layout.ts disagree; rebuild bpf/ and run `pnpm gen:layout`';
  const type = libbpf.bpf_map__type(map);
  if (type !== spec.type) fail(`is ${mapTypeName(type)}, expected ${mapTypeName(spec.type)}`);
  if (libbpf.bpf_map__key_size(map) !== spec.key.size) fail(`key_size is ${libbpf.bpf_map__key_size(map)}, expected ${spec.key.size}; ${hint}`);
  if (libbpf.bpf_map__value_size(map) !== spec.value.size) fail(`value_size is ${libbpf.bpf_map__value_size(map)}, expected ${spec.value.size}; ${hint}`);
}

function mapInfo(name: HealthMapName, map: BpfMapPtr): MapInfo {
  return {
    name,
    fd: checked('bpf_map__fd', `map "${name}"`, () => libbpf.bpf_map__fd(map)),
    type: libbpf.bpf_map__type(map),
    keySize: libbpf.bpf_map__key_size(map),
    valueSize: libbpf.bpf_map__value_size(map),
    maxEntries: libbpf.bpf_map__max_entries(map),
  };
}

export function loadHealthSteer(options: HealthSteerLoadOptions): HealthSteerProgram {
  installLibbpfLog();
  const { objectPath, pinDir } = options;
  const subject = JSON.stringify(objectPath);
  const obj = checkedPointer('bpf_object__open_file', subject, () => libbpf.bpf_object__open_file(objectPath, null));
  try {
    const maps = new Map<HealthMapName, BpfMapPtr>();
    for (const name of HEALTH_MAP_NAMES) {
      const map = checkedPointer('bpf_object__find_map_by_name', `map "${name}" in ${subject}`, () => libbpf.bpf_object__find_map_by_name(obj, name));
      checkShape(name, map);
      maps.set(name, map);
    }
    if (pinDir !== undefined) {
      ensureBpffs(pinDir);
      for (const [name, map] of maps) {
        const path = join(pinDir, name);
        checked('bpf_map__set_pin_path', `map "${name}", "${path}"${existsSync(path) ? ' (reused)' : ''}`, () => libbpf.bpf_map__set_pin_path(map, path));
      }
    }
    checked('bpf_object__load', subject, () => libbpf.bpf_object__load(obj));
    const prog = checkedPointer('bpf_object__find_program_by_name', `program "${HEALTH_STEER_PROGRAM}" in ${subject}`, () =>
      libbpf.bpf_object__find_program_by_name(obj, HEALTH_STEER_PROGRAM),
    );
    const programFd = checked('bpf_program__fd', `program "${HEALTH_STEER_PROGRAM}"`, () => libbpf.bpf_program__fd(prog));
    const owner = { closed: false };
    const probes = mapInfo('health_probes', maps.get('health_probes')!);
    const counters = mapInfo('health_counters', maps.get('health_counters')!);
    const spec = HEALTH_MAP_SPECS;
    const loaded: HealthSteerProgram = {
      objectPath,
      programFd,
      maps: {
        probes: new BpfMap(probes, spec.health_probes.key, spec.health_probes.value, owner),
        counters: new PerCpuMap(counters, spec.health_counters.key, spec.health_counters.value, owner),
      },
      get closed() {
        return owner.closed;
      },
      testRun(run) {
        if (owner.closed) throw new DataplaneError({ call: 'health_steer', subject, errno: osConstants.errno.EBADF, detail: 'already closed' });
        return testRunTc(programFd, run);
      },
      close() {
        if (owner.closed) return;
        owner.closed = true;
        libbpf.bpf_object__close(obj);
      },
    };
    return loaded;
  } catch (err) {
    libbpf.bpf_object__close(obj);
    throw err;
  }
}
