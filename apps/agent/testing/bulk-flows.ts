/*
 * Writes many flows straight into a flows map (agent tests, and the bench's
 * million-flow connection page): raw bytes in bpf_map_update_batch calls,
 * since encoding a million flow objects through the codecs takes a minute
 * and a half, this a few seconds.
 */
import { endianness } from 'node:os';
import { addressToBytes } from '@sluice/dataplane';
import { libbpf } from '@sluice/dataplane/libbpf';
import { KEY, KEY_SIZE, VALUE, VALUE_SIZE } from '../src/conntrack/flow-bytes.js';

/** Many IPv4 TCP flows of one service, client i = 10.x.y.z:(1024 + i % 60000), backend i % backends. */
export interface BulkFlows {
  count: number;
  vip: string;
  vipPort: number;
  serviceId: number;
  backends: { address: string; port: number; id: number }[];
  stateOf: (i: number) => number;
  createdNs: bigint;
  lastSeenNs: bigint;
}

/** Flow i's client address, as writeBulkFlows writes it (its port is 1024 + i % 60000). */
export const bulkFlowClient = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

/* Entries per bpf_map_update_batch call. */
const WRITE_BATCH = 65536;

/** Writes every flow's entry into the map behind `flowsFd`. */
export function writeBulkFlows(flowsFd: number, spec: BulkFlows): void {
  if (endianness() !== 'LE') throw new Error('writeBulkFlows writes value fields little-endian');
  const vip = addressToBytes(spec.vip).bytes;
  const keys = Buffer.alloc(WRITE_BATCH * KEY_SIZE);
  const values = Buffer.alloc(WRITE_BATCH * VALUE_SIZE);
  let n = 0;
  const flush = () => {
    const count = new Uint32Array([n]);
    const ret = libbpf.bpf_map_update_batch(flowsFd, keys, values, count, { sz: 24, elem_flags: 0, flags: 0 });
    if (ret < 0) throw new Error(`bpf_map_update_batch: errno ${-ret}, ${count[0]} of ${n} written`);
    keys.fill(0);
    values.fill(0);
    n = 0;
  };
  const entry = (i: number) => {
    const backend = spec.backends[i % spec.backends.length]!;
    const k = n * KEY_SIZE;
    const v = n * VALUE_SIZE;
    keys[k + KEY.src] = 10;
    keys[k + KEY.src + 1] = (i >> 16) & 255;
    keys[k + KEY.src + 2] = (i >> 8) & 255;
    keys[k + KEY.src + 3] = i & 255;
    vip.copy(keys, k + KEY.dst);
    keys.writeUInt16BE(1024 + (i % 60000), k + KEY.srcPort);
    keys.writeUInt16BE(spec.vipPort, k + KEY.dstPort);
    keys[k + KEY.protocol] = 6;
    keys[k + KEY.family] = 4;
    values.writeBigUInt64LE(spec.createdNs, v + VALUE.createdNs);
    values.writeBigUInt64LE(spec.lastSeenNs, v + VALUE.lastSeenNs);
    values.writeBigUInt64LE(3n, v + VALUE.packets);
    values.writeBigUInt64LE(300n, v + VALUE.bytes);
    values.writeBigUInt64LE(2n, v + VALUE.replyPackets);
    values.writeBigUInt64LE(200n, v + VALUE.replyBytes);
    values.writeUInt32LE(backend.id, v + VALUE.backendId);
    values.writeUInt32LE(spec.serviceId, v + VALUE.serviceId);
    values.writeUInt32LE(spec.stateOf(i), v + VALUE.tcpState);
    if (++n === WRITE_BATCH) flush();
  };
  for (let i = 0; i < spec.count; i++) entry(i);
  if (n > 0) flush();
}
