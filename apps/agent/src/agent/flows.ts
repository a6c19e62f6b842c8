/*
 * Ending the flows of a backend that is already gone from the maps (forced
 * removal): conntrack/'s endFlows checks a flow's backend against the
 * backends map, which a removed backend is no longer in.
 */
import type { DataplaneMaps, FlowKey, FlowValue } from '../dataplane/index.js';
import { SluiceTcpState } from '../dataplane/index.js';

/**
 * Deletes every flow of one backend and takes the
 * still-open ones off its active count. The client's next packet then finds
 * no flow and no route to this backend: its connection ends.
 */
export function endBackendFlows(maps: DataplaneMaps, backendId: number): number {
  const doomed: FlowKey[] = [];
  let open = 0;
  for (const [key, value] of maps.flows.entries()) {
    if (value.backend_id !== backendId) continue;
    doomed.push(key);
    if (value.tcp_state !== SluiceTcpState.TCP_STATE_CLOSED) open++;
  }
  let ended = 0;
  for (const key of doomed) {
    /* One by one: an entry the LRU evicted meanwhile is not an error. */
    if (maps.flows.delete(key) && open > 0) ended++;
  }
  const active = maps.backendActive.lookup(backendId) ?? 0n;
  const left = active - BigInt(Math.min(open, ended));
  maps.backendActive.update(backendId, left > 0n ? left : 0n);
  return open;
}
