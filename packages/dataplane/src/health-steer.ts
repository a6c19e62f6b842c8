/*
 * The health-probe steering program (bpf/src/health_steer.bpf.c): load it,
 * reach its maps typed, run it on a test frame. The agent's health checker
 * attaches it at TC egress of the balancer's interfaces and writes one
 * health_probes entry per probed dsr/ipip/gue backend.
 *
 * With a pin directory, maps already pinned there are reused, so an agent
 * that restarts finds the entries and counters of the attached program.
 */
import { type AuxLoadOptions, closedError, loadAuxObject } from './aux-object.js';
import { structCodec, u32Codec, u64Codec } from './codec.js';
import { type HealthProbe, type HealthProbeKey, healthProbeKeyLayout, healthProbeLayout } from './generated/health-layout.js';
import { BpfMapType } from './libbpf.js';
import { BpfMap, PerCpuMap } from './maps.js';
import { type TcTestRunOptions, type TestRunResult, testRunTc } from './test-run.js';

/** The entry point, by its C name. */
export const HEALTH_STEER_PROGRAM = 'health_steer';

const HEALTH_MAP_SPECS = {
  health_probes: { type: BpfMapType.HASH, key: structCodec(healthProbeKeyLayout), value: structCodec(healthProbeLayout) },
  health_counters: { type: BpfMapType.PERCPU_ARRAY, key: u32Codec, value: u64Codec },
} as const;

export interface HealthSteerMaps {
  /** Probe source port -> where and how its packets go (HASH). */
  probes: BpfMap<HealthProbeKey, HealthProbe>;
  /** enum sluice_health_counter -> packets, per CPU (PERCPU_ARRAY). */
  counters: PerCpuMap<number, bigint>;
}

export type HealthSteerLoadOptions = AuxLoadOptions;

export interface HealthSteerProgram {
  readonly objectPath: string;
  readonly programFd: number;
  readonly maps: HealthSteerMaps;
  readonly closed: boolean;
  testRun(options: TcTestRunOptions): TestRunResult;
  /** Release the object. Pins and attachments stay. */
  close(): void;
}

export function loadHealthSteer(options: HealthSteerLoadOptions): HealthSteerProgram {
  const loaded = loadAuxObject({
    ...options,
    maps: HEALTH_MAP_SPECS,
    programs: [HEALTH_STEER_PROGRAM],
    layoutFile: 'generated/health-layout.ts',
  });
  const programFd = loaded.programFds[HEALTH_STEER_PROGRAM];
  const spec = HEALTH_MAP_SPECS;
  return {
    objectPath: loaded.objectPath,
    programFd,
    maps: {
      probes: new BpfMap(loaded.maps.get('health_probes')!, spec.health_probes.key, spec.health_probes.value, loaded),
      counters: new PerCpuMap(loaded.maps.get('health_counters')!, spec.health_counters.key, spec.health_counters.value, loaded),
    },
    get closed() {
      return loaded.closed;
    },
    testRun(run) {
      if (loaded.closed) throw closedError('health_steer', loaded.objectPath);
      return testRunTc(programFd, run);
    },
    close() {
      loaded.close();
    },
  };
}
