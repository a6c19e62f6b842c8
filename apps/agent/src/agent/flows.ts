/*
 * Flow-table operations the control plane needs itself: ending a backend's
 * flows (drain timeout, forced removal) and, when conntrack/ is absent, a
 * plain paged listing.
 */
import type { DataplaneMaps, FlowKey, FlowValue } from '../dataplane/index.js';
import { SluiceFlowFlags, SluiceTcpState, bytesToAddress } from '../dataplane/index.js';
import type { FlowFilter, RawFlowView } from './runtime-parts.js';

const PROTOCOL_NAME: Record<number, 'tcp' | 'udp'> = { 6: 'tcp', 17: 'udp' };
export const TCP_STATE_NAME: Record<number, string> = {
  [SluiceTcpState.TCP_STATE_NONE]: 'none',
  [SluiceTcpState.TCP_STATE_SYN_SENT]: 'syn-sent',
  [SluiceTcpState.TCP_STATE_ESTABLISHED]: 'established',
  [SluiceTcpState.TCP_STATE_FIN_WAIT]: 'fin-wait',
  [SluiceTcpState.TCP_STATE_CLOSED]: 'closed',
};

const isReply = (value: FlowValue) => (value.flags & SluiceFlowFlags.FLOW_F_REPLY) !== 0;

/**
 * Deletes every flow entry (forward and reply) of one backend and takes the
 * still-open ones off its active count. The client's next packet then finds
 * no flow and no route to this backend: its connection ends.
 */
export function endBackendFlows(maps: DataplaneMaps, backendId: number): number {
  const doomed: FlowKey[] = [];
  let open = 0;
  for (const [key, value] of maps.flows.entries()) {
    if (value.backend_id !== backendId) continue;
    doomed.push(key);
    if (!isReply(value) && value.tcp_state !== SluiceTcpState.TCP_STATE_CLOSED) open++;
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

/** Monotonic clock of the data plane (bpf_ktime_get_ns), for ages. */
function nowNs(): bigint {
  return process.hrtime.bigint();
}

/**
 * Fallback paging when conntrack/ is absent: walks forward entries in map
 * order; the cursor is how many matching entries were already returned.
 * Good enough for small tables; conntrack/'s listFlows replaces it.
 */
export function listFlowsPlain(maps: DataplaneMaps, filter: FlowFilter, cursor: string | undefined, limit: number) {
  const skip = cursor ? Number(cursor) || 0 : 0;
  const now = nowNs();
  const replies = new Map<string, FlowValue>();
  const forward: [FlowKey, FlowValue][] = [];
  for (const [key, value] of maps.flows.entries()) {
    if (isReply(value)) replies.set(replyIndex(key), value);
    else forward.push([key, value]);
  }
  const items: RawFlowView[] = [];
  let matched = 0;
  for (const [key, value] of forward) {
    const protocol = PROTOCOL_NAME[key.protocol] ?? 'tcp';
    const state = TCP_STATE_NAME[value.tcp_state] ?? 'none';
    const client = bytesToAddress(key.family, key.src);
    if (filter.serviceId !== undefined && value.service_id !== filter.serviceId) continue;
    if (filter.backendId !== undefined && value.backend_id !== filter.backendId) continue;
    if (filter.clientAddress !== undefined && client !== filter.clientAddress) continue;
    if (filter.protocol !== undefined && protocol !== filter.protocol) continue;
    if (filter.state !== undefined && state !== filter.state) continue;
    if (matched++ < skip) continue;
    if (items.length === limit) return { items, nextCursor: String(skip + limit) };
    const backend = maps.backends.lookup(value.backend_id);
    const backendAddress = backend && backend.family ? bytesToAddress(backend.family, backend.addr) : '';
    const reply = backend ? replies.get(replyIndexOf(backend.addr, backend.port, key)) : undefined;
    items.push({
      clientAddress: client,
      clientPort: key.src_port,
      vipAddress: bytesToAddress(key.family, key.dst),
      vipPort: key.dst_port,
      backendAddress,
      backendPort: backend?.port ?? 0,
      protocol,
      state,
      ageMs: Number(now - value.created_ns) / 1e6,
      idleMs: Number(now - value.last_seen_ns) / 1e6,
      packets: value.packets,
      bytes: value.bytes,
      replyPackets: reply?.packets ?? 0n,
      replyBytes: reply?.bytes ?? 0n,
      serviceId: value.service_id,
      backendId: value.backend_id,
    });
  }
  return { items, nextCursor: null };
}

function replyIndex(key: FlowKey): string {
  return `${Buffer.from(key.src).toString('hex')}/${key.src_port}/${Buffer.from(key.dst).toString('hex')}/${key.dst_port}/${key.protocol}`;
}

function replyIndexOf(backendAddr: Uint8Array, backendPort: number, forward: FlowKey): string {
  return `${Buffer.from(backendAddr).toString('hex')}/${backendPort}/${Buffer.from(forward.src).toString('hex')}/${forward.src_port}/${forward.protocol}`;
}
