/*
 * backend_active: open flows per backend, kept by the data plane (+1 on a
 * new flow, -1 on close, re-steer or its own idle expiry). It never sees
 * flows the GC or end-flows delete, or LRU evictions, so the agent takes the
 * ones its own deletes removed off (take-flow.ts: never one the data plane
 * expired) and, after each full scan, corrects whatever drift is left.
 *
 * User space cannot do an atomic add on an array element, so every write
 * here is read-modify-write over a window of microseconds; a packet that
 * opens or closes a flow on that backend inside the window can be lost from
 * the count, and the next recount puts it right.
 */
import type { ConntrackMaps } from './conntrack-maps.js';

/** Take `amount` off a backend's count, never below zero. */
export function decrementActive(maps: ConntrackMaps, backendId: number, amount: number): void {
  if (amount <= 0) return;
  const current = maps.backendActive.lookup(backendId);
  if (current === undefined) return;
  const next = current > BigInt(amount) ? current - BigInt(amount) : 0n;
  maps.backendActive.update(backendId, next);
}

/** Open flows per backend as the data plane counts them, for backends in use. */
export function activeByBackend(maps: ConntrackMaps): Map<number, number> {
  const inUse = new Set<number>();
  for (const [id, backend] of maps.backends.entries()) if (backend.family !== 0) inUse.add(id);
  const result = new Map<number, number>();
  for (const [id, count] of maps.backendActive.entries()) if (inUse.has(id)) result.set(id, Number(count));
  return result;
}

export function readActive(maps: ConntrackMaps, ids: Iterable<number>): Map<number, bigint> {
  const result = new Map<number, bigint>();
  for (const id of ids) result.set(id, maps.backendActive.lookup(id) ?? 0n);
  return result;
}

export interface ActiveCorrection {
  backendId: number;
  from: number;
  to: number;
}

/**
 * Corrects backend_active toward the count a scan found.
 *
 * A scan takes time (a second for a million flows) while traffic moves the
 * counts, so a difference is trusted only when
 *   - the backend's count did not move during the scan (other than by our
 *     own decrements): then the scan is exact for it; or
 *   - the same-signed difference showed in the previous recount too
 *     (persistent drift on a busy backend, e.g. LRU evictions); then the
 *     smaller of the two is corrected, so noise never overshoots.
 */
export class ActiveRecounter {
  #lastDrift: Map<number, number>;

  /** `lastDrift`: what the previous recount left, when it ran on another thread. */
  constructor(lastDrift: Iterable<[number, number]> = []) {
    this.#lastDrift = new Map(lastDrift);
  }

  /** The drift per backend after the last recount: the next one compares with it. */
  get lastDrift(): [number, number][] {
    return [...this.#lastDrift];
  }

  correct(maps: ConntrackMaps, counted: Map<number, number>, before: Map<number, bigint>, ownDecrements: Map<number, number>): ActiveCorrection[] {
    const corrections: ActiveCorrection[] = [];
    const drifts = new Map<number, number>();
    for (const [id, valueBefore] of before) {
      const now = maps.backendActive.lookup(id);
      if (now === undefined) continue;
      const expected = Math.max(0, Number(valueBefore) - (ownDecrements.get(id) ?? 0));
      const drift = Number(now) - (counted.get(id) ?? 0);
      drifts.set(id, drift);
      if (drift === 0) continue;
      let fix = 0;
      if (Number(now) === expected) fix = drift;
      else {
        const last = this.#lastDrift.get(id) ?? 0;
        if (Math.sign(last) === Math.sign(drift)) fix = Math.sign(drift) * Math.min(Math.abs(last), Math.abs(drift));
      }
      if (fix === 0) continue;
      /* Re-read right before writing: the window is one syscall wide. */
      const latest = maps.backendActive.lookup(id) ?? now;
      const to = Math.max(0, Number(latest) - fix);
      maps.backendActive.update(id, BigInt(to));
      corrections.push({ backendId: id, from: Number(latest), to });
      drifts.set(id, drift - fix);
    }
    this.#lastDrift = drifts;
    return corrections;
  }
}
