/*
 * Flows a sync peer tells this node of (apps/agent/src/sync/), written into
 * this node's own tables so that, after a takeover, each packet finds the
 * backend the old master chose. Values are built by field name through the
 * generated layout's codec (never at offsets of our own): a field the data
 * plane adds starts at zero, one it drops is simply not written.
 *
 * A half-open flow (SYN seen) goes to the half-open table and an established
 * one to the flow table, as the master has them, so that a SYN flood synced
 * over evicts only half-open entries here too. backend_active is not touched:
 * the GC's recount (sweep.ts) counts synced flows on its next pass.
 */
import { constants as osConstants } from 'node:os';
import { DataplaneError, type FlowValue, decode, flowValueLayout, structCodec } from '@sluice/dataplane';
import { UpdateFlag, libbpf } from '@sluice/dataplane/libbpf';
import type { ConntrackMaps, FlowTableName } from './conntrack-maps.js';
import { KEY_SIZE, TCP_STATE, VALUE, u32 } from './flow-bytes.js';
import { lookupInto } from './raw-flow-ops.js';

const { ENOENT, EEXIST } = osConstants.errno;
const valueCodec = structCodec(flowValueLayout);

/** What the peer's choice says about one flow. */
export interface PeerFlow {
  serviceId: number;
  backendId: number;
  tcpState: number;
  flags: number;
}

/**
 * 'replace': the peer's choice wins (a delta, or a full resync from the
 * master). 'keep-local': an entry this node has stays as it is (a resync
 * from a backup into the master: its table only echoes the master's own).
 */
export type PeerWriteMode = 'replace' | 'keep-local';
export type PeerWriteOutcome = 'written' | 'kept';

function tableOf(flow: PeerFlow): FlowTableName {
  return flow.tcpState === TCP_STATE.TCP_STATE_SYN_SENT ? 'halfOpenFlows' : 'flows';
}

/** The entry bytes of a synced flow: seen now (CLOCK_MONOTONIC, the data plane's clock), no packets counted here. */
export function peerFlowValue(flow: PeerFlow, nowNs: bigint): Buffer {
  const value: FlowValue = decode(flowValueLayout, Buffer.alloc(valueCodec.size));
  const fields = value as unknown as Record<string, unknown>;
  fields.created_ns = nowNs;
  fields.last_seen_ns = nowNs;
  fields.backend_id = flow.backendId;
  fields.service_id = flow.serviceId;
  fields.tcp_state = flow.tcpState;
  fields.flags = flow.flags;
  const out = Buffer.alloc(valueCodec.size);
  valueCodec.encodeInto(value, out, 0);
  return out;
}

function fail(call: string, map: string, errno: number): never {
  throw new DataplaneError({ call, subject: `map "${map}" (a synced flow)`, errno });
}

/** Writes one synced flow (`key`: struct flow_key bytes); the other table loses the tuple. */
export function writePeerFlow(maps: ConntrackMaps, key: Buffer, flow: PeerFlow, mode: PeerWriteMode, nowNs: bigint): PeerWriteOutcome {
  if (key.length !== KEY_SIZE) throw new RangeError(`a synced flow key is ${key.length} bytes, struct flow_key ${KEY_SIZE}`);
  const table = tableOf(flow);
  const other = table === 'flows' ? 'halfOpenFlows' : 'flows';
  if (mode === 'keep-local') {
    const probe = Buffer.alloc(maps.flows.valueBytes);
    if (lookupInto(maps.flows, key, probe) || lookupInto(maps.halfOpenFlows, key, probe)) return 'kept';
  }
  const ret = libbpf.bpf_map_update_elem(maps[table].fd, key, peerFlowValue(flow, nowNs), mode === 'keep-local' ? UpdateFlag.NOEXIST : UpdateFlag.ANY);
  if (ret === -EEXIST && mode === 'keep-local') return 'kept';
  if (ret < 0) fail('bpf_map_update_elem', maps[table].name, -ret);
  const removed = libbpf.bpf_map_delete_elem(maps[other].fd, key);
  if (removed < 0 && removed !== -ENOENT) fail('bpf_map_delete_elem', maps[other].name, -removed);
  return 'written';
}

/** Ends a synced flow the peer's sweep ended, only while it still names that backend (a newer choice stays). */
export function endPeerFlow(maps: ConntrackMaps, key: Buffer, backendId: number): boolean {
  const value = Buffer.alloc(maps.flows.valueBytes);
  for (const table of ['flows', 'halfOpenFlows'] as const) {
    if (!lookupInto(maps[table], key, value) || u32(value, VALUE.backendId) !== backendId) continue;
    const ret = libbpf.bpf_map_delete_elem(maps[table].fd, key);
    if (ret === 0) return true;
    if (ret !== -ENOENT) fail('bpf_map_delete_elem', maps[table].name, -ret);
  }
  return false;
}
