// Loading the program for tests: small maps, so a load takes milliseconds.
import { fileURLToPath } from 'node:url';

export const OBJECT_PATH =
  process.env.SLUICE_BPF_OBJECT ?? fileURLToPath(new URL('../../build/sluice.bpf.o', import.meta.url));

export const FIXTURE_MAP_SIZES = {
  flows: 65536,
  half_open_flows: 4096,
  services: 16,
  vips: 16,
  service_vips: 16,
  lookup_tables: 32,
  rr_cursors: 16,
  service_counters: 16,
};
