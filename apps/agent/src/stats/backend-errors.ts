/*
 * The one place a backend's error signals are computed, for stats.totals,
 * the sampler's history, the live feed and the Prometheus scrape alike:
 * drops by reason and resets from the data plane (backend_errors, summed over
 * CPUs), failed handshakes from the conntrack GC, the last health probe's
 * latency; then what the service's mode lets the balancer observe (null
 * otherwise, never a misleading 0) and rates between two readings.
 */
import { BACKEND_DROP_REASONS, type BackendDropReason, type BackendErrorRates, type BackendErrorTotals } from '@sluice/api';
import { type BackendErrors, SluiceBackendDrop } from '@sluice/dataplane';
import { perSecond } from './counter-rate.js';

/** Handshakes that never completed on one backend (the conntrack GC's ledger). */
export interface HandshakeCounts {
  /** nat flows: SYNs the backend never answered. */
  unanswered: number;
  /** dsr/ipip/gue flows: handshakes the client never completed. */
  incomplete: number;
}

/** What the data plane cannot say about a backend: the agent's other parts fill it in. */
export interface BackendSignalFacts {
  handshakes: HandshakeCounts;
  healthLatencyMs: number | null;
  /** The service is in nat mode: the backend's replies (its resets, its SYN-ACKs) pass the balancer. */
  repliesSeen: boolean;
}

export type BackendSignalSource = (backendId: number) => BackendSignalFacts;

/** A backend's error signals as read, before the mode decides what is observable. */
export interface BackendErrorReading {
  drops: Record<BackendDropReason, number>;
  resets: number;
  handshakes: HandshakeCounts;
  healthLatencyMs: number | null;
  repliesSeen: boolean;
}

/* The contract's reason names are the enum's (lower-case, without BACKEND_DROP_): checked once here, so a new reason cannot go unreported. */
const DROP_SLOTS: readonly { reason: BackendDropReason; slot: number }[] = BACKEND_DROP_REASONS.map((reason) => {
  const slot = (SluiceBackendDrop as Record<string, number>)[`BACKEND_DROP_${reason.toUpperCase()}`];
  if (slot === undefined) throw new Error(`enum sluice_backend_drop has no BACKEND_DROP_${reason.toUpperCase()}: regenerate the layout`);
  return { reason, slot };
});
if (DROP_SLOTS.length !== SluiceBackendDrop.BACKEND_DROP_MAX) {
  throw new Error(
    `enum sluice_backend_drop has ${SluiceBackendDrop.BACKEND_DROP_MAX} reasons, the API names ${DROP_SLOTS.length}: add the new one to BACKEND_DROP_REASONS`,
  );
}

export const NO_FACTS: Readonly<BackendSignalFacts> = Object.freeze({ handshakes: { unanswered: 0, incomplete: 0 }, healthLatencyMs: null, repliesSeen: true });

/** A backend's reading from its backend_errors entry (summed over CPUs; counter-reads.ts) and what the agent knows of it. */
export function readBackendErrors(counters: BackendErrors | undefined, facts: BackendSignalFacts): BackendErrorReading {
  const drops = {} as Record<BackendDropReason, number>;
  for (const { reason, slot } of DROP_SLOTS) drops[reason] = Number(counters?.drops[slot] ?? 0n);
  return {
    drops,
    resets: Number(counters?.resets ?? 0n),
    handshakes: { ...facts.handshakes },
    healthLatencyMs: facts.healthLatencyMs,
    repliesSeen: facts.repliesSeen,
  };
}

/** The contract's totals: what the mode cannot observe is null. */
export function errorTotalsOf(reading: BackendErrorReading): BackendErrorTotals {
  return {
    drops: { ...reading.drops },
    resets: reading.repliesSeen ? reading.resets : null,
    unansweredSyns: reading.repliesSeen ? reading.handshakes.unanswered : null,
    incompleteHandshakes: reading.repliesSeen ? null : reading.handshakes.incomplete,
    healthLatencyMs: reading.healthLatencyMs,
  };
}

export function totalDrops(drops: Readonly<Record<BackendDropReason, number>>): number {
  let sum = 0;
  for (const reason of BACKEND_DROP_REASONS) sum += drops[reason];
  return sum;
}

/* Failed handshakes of either kind: a mode observes one of them, the other is null. */
function failedHandshakes(totals: BackendErrorTotals): number {
  return (totals.unansweredSyns ?? 0) + (totals.incompleteHandshakes ?? 0);
}

/**
 * Rates between two totals `seconds` apart (the same shape as stats/traffic.ts
 * trafficRate, and the same function for the sampler's history and the live
 * feed); no earlier totals: zero rates. Failed handshakes are unanswered SYNs
 * (nat) or incomplete handshakes (dsr/ipip/gue), whichever the mode observes.
 */
export function errorRates(now: BackendErrorTotals, before: BackendErrorTotals | undefined, seconds: number): BackendErrorRates {
  return {
    dropsPerSec: perSecond(before && totalDrops(before.drops), totalDrops(now.drops), seconds),
    resetsPerSec: now.resets === null ? null : perSecond(before?.resets ?? undefined, now.resets, seconds),
    failedHandshakesPerSec: perSecond(before && failedHandshakes(before), failedHandshakes(now), seconds),
    healthLatencyMs: now.healthLatencyMs,
  };
}
