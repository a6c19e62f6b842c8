/*
 * Deleting a flow entry only if it is still the one judged. The GC and
 * end-flows read an entry, judge it (idle; on a backend being removed), then
 * delete by key; a packet in between may refresh the entry or re-steer it,
 * and a blind delete would end a live flow. So an entry is taken with
 * lookup-and-delete (one step under the map's bucket lock; hash and LRU hash
 * maps since Linux 5.14) and the value taken is judged again:
 *   still doomed  -> it stays deleted; the caller counts it off backend_active.
 *   live after all -> it goes back with BPF_NOEXIST ('restored'). If that
 *                     fails, a packet found no entry in the microseconds it
 *                     was out and started the flow anew: the new entry
 *                     stands and counted itself, and the one taken is gone
 *                     for good ('replaced'), so the caller counts it off too.
 *   not there      -> someone else removed it first (the data plane expiring
 *                     it, LRU eviction, a promotion): not the caller's to count.
 * Exactly one remover of an entry counts it: the data plane's expiry too
 * counts only an entry its own delete removed (bpf/src/flow.h expire_flow).
 */
import { constants as osConstants } from 'node:os';
import { DataplaneError } from '@sluice/dataplane';
import { UpdateFlag, libbpf } from '@sluice/dataplane/libbpf';
import type { BpfMap } from '@sluice/dataplane';

const { ENOENT, EEXIST } = osConstants.errno;

export type TakeOutcome = 'absent' | 'deleted' | 'restored' | 'replaced';

/** Test seams: run right before the take and right after it (a packet racing the GC). */
export interface TakeHooks {
  beforeTake?(table: string, key: Buffer): void;
  afterTake?(table: string, key: Buffer): void;
}

/**
 * Takes the entry of `key` into `out` (valueBytes long) and keeps it deleted
 * only if `stillDoomed(out)`; see the header for the outcomes.
 */
export function takeIfStillDoomed(
  map: BpfMap<unknown, unknown>,
  key: Buffer,
  out: Buffer,
  stillDoomed: (value: Buffer) => boolean,
  hooks?: TakeHooks,
): TakeOutcome {
  hooks?.beforeTake?.(map.name, key);
  const ret = libbpf.bpf_map_lookup_and_delete_elem(map.fd, key, out);
  if (ret === -ENOENT) return 'absent';
  if (ret < 0) throw new DataplaneError({ call: 'bpf_map_lookup_and_delete_elem', subject: `map "${map.name}"`, errno: -ret });
  hooks?.afterTake?.(map.name, key);
  if (stillDoomed(out)) return 'deleted';
  const put = libbpf.bpf_map_update_elem(map.fd, key, out, UpdateFlag.NOEXIST);
  if (put === 0) return 'restored';
  if (put === -EEXIST) return 'replaced';
  throw new DataplaneError({ call: 'bpf_map_update_elem', subject: `map "${map.name}" (putting back a live flow)`, errno: -put });
}
