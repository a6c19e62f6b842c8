/*
 * Direct reads of struct flow_key / flow_value in raw map bytes. A sweep or
 * index build touches a million entries; decoding each into an object
 * (codec.ts) would cost more than the syscalls, so the hot loops read the
 * few fields they need at offsets taken from the generated layout.
 */
import { endianness } from 'node:os';
import { bytesToAddress } from '@sluice/dataplane';
import type { StructLayout } from '@sluice/dataplane';
import { flowKeyLayout, flowValueLayout, SluiceTcpState } from '@sluice/dataplane';

function offsetOf(layout: StructLayout, name: string): number {
  const member = layout.members.find((m) => m.name === name);
  if (!member) throw new Error(`struct ${layout.name} has no member ${name}: regenerate the layout`);
  return member.offset;
}

export const KEY_SIZE = flowKeyLayout.size;
export const VALUE_SIZE = flowValueLayout.size;

export const KEY = {
  src: offsetOf(flowKeyLayout, 'src'),
  dst: offsetOf(flowKeyLayout, 'dst'),
  srcPort: offsetOf(flowKeyLayout, 'src_port'),
  dstPort: offsetOf(flowKeyLayout, 'dst_port'),
  protocol: offsetOf(flowKeyLayout, 'protocol'),
  family: offsetOf(flowKeyLayout, 'family'),
} as const;

export const VALUE = {
  createdNs: offsetOf(flowValueLayout, 'created_ns'),
  lastSeenNs: offsetOf(flowValueLayout, 'last_seen_ns'),
  packets: offsetOf(flowValueLayout, 'packets'),
  bytes: offsetOf(flowValueLayout, 'bytes'),
  replyPackets: offsetOf(flowValueLayout, 'reply_packets'),
  replyBytes: offsetOf(flowValueLayout, 'reply_bytes'),
  backendId: offsetOf(flowValueLayout, 'backend_id'),
  serviceId: offsetOf(flowValueLayout, 'service_id'),
  tcpState: offsetOf(flowValueLayout, 'tcp_state'),
  flags: offsetOf(flowValueLayout, 'flags'),
} as const;

export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const TCP_STATE = SluiceTcpState;

const LE = endianness() === 'LE';
const TWO_32 = 4294967296;

/** A host-order u32 (the program stores value fields in host order). */
export function u32(buf: Buffer, at: number): number {
  return LE ? buf.readUInt32LE(at) : buf.readUInt32BE(at);
}

/**
 * A host-order u64 as a double: exact below 2^53 (104 days of nanoseconds
 * since boot), within a few ns beyond, and no BigInt allocation per read.
 */
export function u64(buf: Buffer, at: number): number {
  return LE ? buf.readUInt32LE(at) + buf.readUInt32LE(at + 4) * TWO_32 : buf.readUInt32BE(at + 4) + buf.readUInt32BE(at) * TWO_32;
}

/** The flow states of the API: 'none' is a UDP flow. */
export type FlowState = 'none' | 'syn-sent' | 'established' | 'fin-wait' | 'closed';
export const FLOW_STATES: readonly FlowState[] = ['none', 'syn-sent', 'established', 'fin-wait', 'closed'];

/** enum sluice_tcp_state -> FlowState; a TCP flow never holds NONE, so it reads as established. */
export function flowState(protocol: number, tcpState: number): FlowState {
  if (protocol !== IPPROTO_TCP) return 'none';
  switch (tcpState) {
    case TCP_STATE.TCP_STATE_SYN_SENT:
      return 'syn-sent';
    case TCP_STATE.TCP_STATE_FIN_WAIT:
      return 'fin-wait';
    case TCP_STATE.TCP_STATE_CLOSED:
      return 'closed';
    default:
      return 'established';
  }
}

export function addressAt(key: Buffer, at: number, family: number): string {
  return bytesToAddress(family, key.subarray(at, at + 16));
}
