/*
 * Which backend a failed request went to: its flow's entry in the pinned
 * flows map, found by the request's 5-tuple (the traffic binds every source
 * port itself, so the tuple is known even when the connection never opened).
 * The soak looks a failure up as soon as it is reported; a flow a RST closed
 * stays in the table for the closed-flow timeout (10 s), long enough. A TCP
 * connection that never completed its handshake (refused by a dead server)
 * lives in the half-open table, not the flow table: both are searched.
 */
import { addressToBytes, bytesToAddress, openPinnedMaps } from '@sluice/dataplane';
import { KEY, KEY_SIZE, VALUE } from '@sluice/agent/flow-bytes';

const IPPROTO = { tcp: 6, udp: 17 } as const;

export interface FlowTuple {
  client: string;
  clientPort: number;
  vip: string;
  vipPort: number;
  protocol: 'tcp' | 'udp';
}

/** The backend endpoint ("addr:port", IPv6 in brackets) of the tuple's flow, or null when there is no flow. */
export function flowBackend(pinDir: string, tuple: FlowTuple): string | null {
  const pinned = openPinnedMaps(pinDir);
  try {
    const client = addressToBytes(tuple.client);
    const key = Buffer.alloc(KEY_SIZE);
    client.bytes.copy(key, KEY.src);
    addressToBytes(tuple.vip).bytes.copy(key, KEY.dst);
    key.writeUInt16BE(tuple.clientPort, KEY.srcPort);
    key.writeUInt16BE(tuple.vipPort, KEY.dstPort);
    key[KEY.protocol] = IPPROTO[tuple.protocol];
    key[KEY.family] = client.family;
    const value = pinned.maps.flows.lookupBytes(key) ?? pinned.maps.halfOpenFlows.lookupBytes(key);
    if (!value) return null;
    const id = value.readUInt32LE(VALUE.backendId);
    const id32 = Buffer.alloc(4);
    id32.writeUInt32LE(id);
    const backend = pinned.maps.backends.lookupBytes(id32);
    if (!backend) return null;
    /* struct backend: addr[16], port (be16) at 16, family at 18. */
    const address = bytesToAddress(backend[18]!, backend.subarray(0, 16));
    const port = backend.readUInt16BE(16);
    return backend[18] === 6 ? `[${address}]:${port}` : `${address}:${port}`;
  } finally {
    pinned.close();
  }
}
