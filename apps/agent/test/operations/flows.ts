/* Flow entries written by hand, as the XDP program would write them for a connection. */
import { addressToBytes } from '@sluice/dataplane';
import type { TestAgent } from './helpers.js';
import { SluiceTcpState, decode, flowValueLayout } from '@sluice/dataplane';

/* Every field zero, whatever the layout holds besides the ones set below. */
const ZERO_FLOW = () => decode(flowValueLayout, Buffer.alloc(flowValueLayout.size));

const bytes16 = (address: string) => {
  const { bytes } = addressToBytes(address);
  const out = Buffer.alloc(16);
  Buffer.from(bytes).copy(out);
  return out;
};

/** Adds `count` established TCP flows from 198.18.0.2:(40000+i) to the backend, and counts them active. */
export function addFlows(t: Pick<TestAgent<any>, 'agent' | 'maps' | 'store'>, service: string, endpoint: string, count: number, firstPort = 40000): void {
  writeFlows(t, service, endpoint, count, firstPort, SluiceTcpState.TCP_STATE_ESTABLISHED);
}

/** Adds `count` closed TCP flow entries (FIN seen both ways, not yet swept): not active, nothing to cut. */
export function addClosedFlows(t: Pick<TestAgent<any>, 'agent' | 'maps' | 'store'>, service: string, endpoint: string, count: number, firstPort = 50000): void {
  writeFlows(t, service, endpoint, count, firstPort, SluiceTcpState.TCP_STATE_CLOSED);
}

function writeFlows(
  t: Pick<TestAgent<any>, 'agent' | 'maps' | 'store'>,
  service: string,
  endpoint: string,
  count: number,
  firstPort: number,
  tcpState: SluiceTcpState,
): void {
  const ids = t.agent.placement().get(service)!;
  const backendId = ids.backends.get(endpoint)!;
  const serviceRow = t.store.services.get(service)!;
  const now = process.hrtime.bigint();
  const maps = t.maps;
  for (let i = 0; i < count; i++) {
    const clientPort = firstPort + i;
    const value = {
      ...ZERO_FLOW(),
      created_ns: now,
      last_seen_ns: now,
      packets: 3n,
      bytes: 180n,
      reply_packets: 2n,
      reply_bytes: 120n,
      backend_id: backendId,
      service_id: ids.id,
      tcp_state: tcpState,
      flags: 0,
    };
    maps.flows.update(
      { src: bytes16('198.18.0.2'), dst: bytes16(serviceRow.address), src_port: clientPort, dst_port: serviceRow.port, protocol: 6, family: 4, pad: 0 },
      value,
    );
  }
  if (tcpState === SluiceTcpState.TCP_STATE_CLOSED) return;
  const active = maps.backendActive.lookup(backendId) ?? 0n;
  maps.backendActive.update(backendId, active + BigInt(count));
}
