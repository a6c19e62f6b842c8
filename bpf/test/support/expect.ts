// What a fixture expects back from the program: the action, the exact frame,
// and the counter that names why. Frames are built from scratch here.
import type { SluiceBackendDrop, SluiceCounter } from '@sluice/dataplane';
import { type PacketSpec, buildPacket } from '@sluice/dataplane/test-packets';
import { BACKEND_FACING, CLIENT_FACING, neighbourMac } from './network.ts';
import type { Endpoint } from './services.ts';

export type CounterName = keyof typeof SluiceCounter;
/** A slot of struct backend_errors: a drop reason (enum sluice_backend_drop) or the resets. */
export type BackendSignal = keyof typeof SluiceBackendDrop | 'resets';
export type ActionName = 'XDP_DROP' | 'XDP_PASS' | 'XDP_TX' | 'XDP_REDIRECT';

export interface Expectation {
  action: ActionName;
  frame: Buffer;
  /** The reason counter this packet must add one to, if any. */
  reason?: CounterName;
  /** For forwarded packets: the backend it went to (for the report). */
  backend?: Endpoint;
  /**
   * The one backend error signal this packet must add one to (backend id,
   * slot). Without it, no backend's error signals may move.
   */
  backendSignal?: { backendId: number; signal: BackendSignal };
}

/** `expectation`, and one more on `signal` of the backend with id `backendId`. */
export function withBackendSignal(expectation: Expectation, backendId: number, signal: BackendSignal): Expectation {
  return { ...expectation, backendSignal: { backendId, signal } };
}

const hopsLess = (spec: PacketSpec) => (spec.ttl ?? 64) - 1;

/** Rewritten to the backend, MACs from the FIB, TTL/hop limit one less. */
export function forwardedTo(spec: PacketSpec, backend: Endpoint, action: ActionName = 'XDP_REDIRECT'): Expectation {
  const frame = buildPacket({
    ...spec,
    dst: backend.address,
    dstPort: backend.port,
    ttl: hopsLess(spec),
    srcMac: BACKEND_FACING.mac,
    dstMac: neighbourMac(backend.address),
  });
  return { action, frame, backend };
}

/** A reply rewritten back to the VIP and sent to the client. */
export function repliedFrom(spec: PacketSpec, vip: Endpoint): Expectation {
  const frame = buildPacket({
    ...spec,
    src: vip.address,
    srcPort: vip.port,
    ttl: hopsLess(spec),
    srcMac: CLIENT_FACING.mac,
    dstMac: neighbourMac(spec.dst),
  });
  return { action: 'XDP_REDIRECT', frame };
}

/** Rewritten to the backend but handed to the kernel (MACs and TTL untouched). */
export function rewrittenAndPassed(spec: PacketSpec, backend: Endpoint, reason: CounterName): Expectation {
  return { action: 'XDP_PASS', frame: buildPacket({ ...spec, dst: backend.address, dstPort: backend.port }), reason, backend };
}

export function passedUntouched(input: Buffer | PacketSpec, reason: CounterName): Expectation {
  return { action: 'XDP_PASS', frame: Buffer.isBuffer(input) ? input : buildPacket(input), reason };
}

export function dropped(input: Buffer | PacketSpec, reason: CounterName): Expectation {
  return { action: 'XDP_DROP', frame: Buffer.isBuffer(input) ? input : buildPacket(input), reason };
}
