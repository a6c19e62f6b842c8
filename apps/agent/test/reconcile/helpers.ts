import { fileURLToPath } from 'node:url';

export const OBJECT_PATH = process.env.SLUICE_BPF_OBJECT ?? fileURLToPath(new URL('../../../../bpf/build/sluice.bpf.o', import.meta.url));

/* Small maps load in milliseconds; the default flow table is 1M entries. */
export const SMALL_MAPS = { flows: 4096, half_open_flows: 1024, services: 8, vips: 8, service_vips: 8, lookup_tables: 16, rr_cursors: 8, service_counters: 8 };
