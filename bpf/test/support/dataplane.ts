// Loading the program for tests: small maps, so a load takes milliseconds.
import { fileURLToPath } from 'node:url';

export const OBJECT_PATH = process.env.SLUICE_BPF_OBJECT ?? fileURLToPath(new URL('../../build/sluice.bpf.o', import.meta.url));
/** The backend decapsulation program (bpf/src/decap.bpf.c). */
export const DECAP_OBJECT_PATH = process.env.SLUICE_DECAP_OBJECT ?? fileURLToPath(new URL('../../build/decap.bpf.o', import.meta.url));

/*
 * Load-time settings of the fixture run. The next-hop cache lives 100 ms
 * instead of 1 s: the fixture that needs it expired ages the cached answer by
 * that much instead of sleeping, and would fail if the setting did not reach
 * the program; a flow's packets within one fixture still use the cache.
 */
export const FIXTURE_TUNABLES = { next_hop_ttl_ns: 100_000_000n };

/* Room for the nat services and the forwarding-mode ones (support/services.ts). */
export const FIXTURE_MAP_SIZES = {
  flows: 65536,
  half_open_flows: 4096,
  services: 48,
  vips: 48,
  service_vips: 48,
  lookup_tables: 96,
  rr_cursors: 48,
  service_counters: 48,
};
/** The health-probe steering program (bpf/src/health_steer.bpf.c). */
export const HEALTH_OBJECT_PATH = process.env.SLUICE_HEALTH_OBJECT ?? fileURLToPath(new URL('../../build/health_steer.bpf.o', import.meta.url));
