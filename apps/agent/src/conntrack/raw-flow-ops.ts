/*
 * Flow-table calls on raw bytes, for the hot paths: BpfMap's typed calls
 * decode and re-encode every key and allocate a value per lookup, which
 * for a million flows costs more than the syscalls themselves.
 */
import { constants as osConstants } from 'node:os';
import { DataplaneError } from '@sluice/dataplane';
import { libbpf } from '@sluice/dataplane/libbpf';
import type { BpfMap } from '@sluice/dataplane';

const { ENOENT } = osConstants.errno;

type AnyMap = BpfMap<unknown, unknown>;

/** Reads the entry of `key` into `out` (valueBytes long); false when absent. */
export function lookupInto(flows: AnyMap, key: Buffer, out: Buffer): boolean {
  const ret = libbpf.bpf_map_lookup_elem(flows.fd, key, out);
  if (ret === -ENOENT) return false;
  if (ret < 0) throw new DataplaneError({ call: 'bpf_map_lookup_elem', subject: `map "${flows.name}"`, errno: -ret });
  return true;
}
