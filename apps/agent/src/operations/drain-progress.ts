/*
 * When a node drain is done. Once the routers have withdrawn the node, ECMP
 * sends its connections to the other nodes, where the consistent hash keeps
 * them on their backends: the drained node stops seeing their packets, and
 * its flow entries never see a FIN, so they would only end by idle timeout
 * (15 minutes for TCP). Waiting for open flows to reach 0 would wait out
 * every drain's timeout. So a drain is also done when the node has forwarded
 * no packet for DRAIN_QUIET_MS: nothing reaches it any more, and stopping it
 * breaks nothing that still flows through it.
 */
import type { NodeStatus } from '@sluice/api';

export const DRAIN_QUIET_MS = 3_000;

export type DrainPhase = NodeStatus['drainPhase'];

/** Remembers when the node's forwarded-packet total last moved (read at each node.status). */
export class ForwardingWatch {
  #total: number | null = null;
  #changedAt = 0;

  /** Returns when the total last changed; the first reading counts as a change (nothing is known before it). */
  observe(total: number, now: number): number {
    if (total !== this.#total) {
      this.#total = total;
      this.#changedAt = now;
    }
    return this.#changedAt;
  }
}

export function drainPhase(state: {
  drainingSince: number | null;
  drainTimeoutMs: number | null;
  activeFlows: number;
  lastForwardedAt: number;
  now: number;
}): DrainPhase {
  const { drainingSince, drainTimeoutMs, activeFlows, lastForwardedAt, now } = state;
  if (drainingSince === null) return 'none';
  if (activeFlows === 0) return 'flows-ended';
  /* Quiet counts from the drain's start at the earliest: traffic before the withdrawal proves nothing. */
  if (now - Math.max(lastForwardedAt, drainingSince) >= DRAIN_QUIET_MS) return 'quiet';
  if (drainTimeoutMs !== null && now >= drainingSince + drainTimeoutMs) return 'timeout';
  return 'waiting';
}
