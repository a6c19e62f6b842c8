// generated — do not edit; regenerate with `pnpm gen:layout`
// Structs from the compiled program's BTF, checked against bpf/include/sluice_health.h; enums from that header.
import type { StructLayout } from '../layout-types.js';

/** struct health_probe_key (4 bytes) */
export interface HealthProbeKey {
  source_port: number;
  pad?: number;
}

export const healthProbeKeyLayout: StructLayout<HealthProbeKey> = {
  name: 'health_probe_key',
  size: 4,
  members: [
    { name: 'source_port', offset: 0, kind: 'be16' },
    { name: 'pad', offset: 2, kind: 'u16' },
  ],
};

/** struct health_probe (56 bytes) */
export interface HealthProbe {
  vip: Buffer;
  backend: Buffer;
  outer_source: Buffer;
  vip_port: number;
  gue_port: number;
  family: number;
  mode: number;
  pad?: Uint8Array;
}

export const healthProbeLayout: StructLayout<HealthProbe> = {
  name: 'health_probe',
  size: 56,
  members: [
    { name: 'vip', offset: 0, kind: 'be32', length: 4 },
    { name: 'backend', offset: 16, kind: 'be32', length: 4 },
    { name: 'outer_source', offset: 32, kind: 'be32', length: 4 },
    { name: 'vip_port', offset: 48, kind: 'be16' },
    { name: 'gue_port', offset: 50, kind: 'be16' },
    { name: 'family', offset: 52, kind: 'u8' },
    { name: 'mode', offset: 53, kind: 'u8' },
    { name: 'pad', offset: 54, kind: 'u8', length: 2 },
  ],
};

/** Every shared struct by its C name. */
export const healthStructLayouts = {
  health_probe_key: healthProbeKeyLayout,
  health_probe: healthProbeLayout,
} as const;

/** enum sluice_health_counter */
export const SluiceHealthCounter = {
  HEALTH_CNT_DSR: 0,
  HEALTH_CNT_IPIP: 1,
  HEALTH_CNT_GUE: 2,
  HEALTH_CNT_RESOLVING: 3,
  HEALTH_CNT_PASS_NOT_PROBE: 4,
  HEALTH_CNT_DROP_NO_ROUTE: 5,
  HEALTH_CNT_DROP_TOO_BIG: 6,
  HEALTH_CNT_DROP_BAD_ENTRY: 7,
  HEALTH_CNT_DROP_ENCAP_FAILED: 8,
  HEALTH_CNT_MAX: 9,
} as const;
export type SluiceHealthCounter = (typeof SluiceHealthCounter)[keyof typeof SluiceHealthCounter];

/* The header's #define constants, as the compiler evaluates them for this build. */
export const HEALTH_MAX_PROBES = 4096;
