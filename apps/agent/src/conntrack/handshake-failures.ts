/*
 * TCP handshakes that never completed, by backend: found when the GC deletes
 * a flow still in SYN_SENT (idle for the syn_sent timeout, 30 s by default).
 * What the balancer can tell depends on the flow's mode:
 *   nat       the backend's SYN-ACK comes back through here (reply_packets):
 *             a flow deleted in SYN_SENT with no reply at all is a SYN the
 *             backend never answered (down, blackholed, a full accept queue).
 *             One answered but never ACKed by the client is the client's
 *             problem, not the backend's: not counted.
 *   dsr, ipip, gue  the SYN-ACK goes straight to the client: "no reply" is not
 *             observable. What is: the client never sent the ACK that
 *             completes the handshake (no SYN-ACK reached it, or it gave up),
 *             counted apart as incomplete.
 * A flow that ended by a reset (the backend refusing) is CLOSED, not SYN_SENT:
 * it counts as a reset (bpf backend_errors), never here. A half-open entry the
 * data plane expires itself (a packet of the same tuple finds it past its
 * timeout) or an LRU eviction removes is not seen by the GC: not counted.
 */
import { SluiceFlowFlags, SluiceForwardingMode } from '@sluice/dataplane';
import { IPPROTO_TCP, TCP_STATE, VALUE, u32, u64 } from './flow-bytes.js';

export interface HandshakeFailures {
  /** nat flows: SYNs the backend never answered. */
  unanswered: number;
  /** dsr/ipip/gue flows: handshakes the client never completed. */
  incomplete: number;
}

/** By backend id. */
export type HandshakeFailureCounts = Record<number, HandshakeFailures>;

const modeOf = (flags: number) => (flags & SluiceFlowFlags.FLOW_F_MODE_MASK) >> SluiceFlowFlags.FLOW_F_MODE_SHIFT;

/** Adds a deleted flow (its value as taken) to `counts` if its handshake never completed. */
export function countHandshakeFailure(counts: HandshakeFailureCounts, protocol: number, value: Buffer): void {
  if (protocol !== IPPROTO_TCP || u32(value, VALUE.tcpState) !== TCP_STATE.TCP_STATE_SYN_SENT) return;
  const backendId = u32(value, VALUE.backendId);
  const nat = modeOf(u32(value, VALUE.flags)) === SluiceForwardingMode.MODE_NAT;
  if (nat && u64(value, VALUE.replyPackets) > 0) return;
  const entry = (counts[backendId] ??= { unanswered: 0, incomplete: 0 });
  if (nat) entry.unanswered++;
  else entry.incomplete++;
}

/** Totals since the agent started, by backend id: what the sweeps found, summed. */
export class HandshakeFailureLedger {
  readonly #totals = new Map<number, HandshakeFailures>();

  add(counts: HandshakeFailureCounts): void {
    for (const [id, { unanswered, incomplete }] of Object.entries(counts)) {
      const total = this.#totals.get(Number(id)) ?? { unanswered: 0, incomplete: 0 };
      total.unanswered += unanswered;
      total.incomplete += incomplete;
      this.#totals.set(Number(id), total);
    }
  }

  of(backendId: number): HandshakeFailures {
    const total = this.#totals.get(backendId);
    return total ? { ...total } : { unanswered: 0, incomplete: 0 };
  }

  /** Forgets ids no longer in use: a reused id starts from zero, as its data-plane counters do. */
  keepOnly(backendIds: ReadonlySet<number>): void {
    for (const id of this.#totals.keys()) if (!backendIds.has(id)) this.#totals.delete(id);
  }
}
