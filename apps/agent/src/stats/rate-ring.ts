/*
 * Fixed-memory history: one Float32Array ring per metric, one slot per
 * sample. Float32 holds a rate to 7 significant digits, plenty for a chart,
 * and halves the memory: 3600 points x 4 metrics = 57.6 kB per service or
 * backend, taken only once a point is not all zeros (slot-kinds.ts). A slot
 * with no point (before the scope existed) reads as undefined.
 */
import type { BackendErrorRates } from '@sluice/api';
import { SlotKind, SlotKinds } from './slot-kinds.js';
export const RATE_METRICS = ['pps', 'bps', 'newFlowsPerSec', 'activeFlows'] as const;

export interface RatePoint {
  /** Epoch ms of the sample. */
  t: number;
  pps: number;
  bps: number;
  newFlowsPerSec: number;
  activeFlows: number;
  /** Backend scopes only (error-ring.ts). */
  errors?: BackendErrorRates;
}

export class RateRing {
  readonly #kinds: SlotKinds;
  /** Allocated for the first point that is not all zeros. */
  #values: Float32Array | undefined;

  constructor(readonly capacity: number) {
    this.#kinds = new SlotKinds(capacity);
  }

  write(slot: number, point: Omit<RatePoint, 't'> | undefined): void {
    const allZero = point && point.pps === 0 && point.bps === 0 && point.newFlowsPerSec === 0 && point.activeFlows === 0;
    if (!point || (allZero && !this.#values)) {
      this.#kinds.set(slot, point ? SlotKind.Zero : SlotKind.None);
      return;
    }
    /* Zero-filled: the slots written as Zero before read the same from it. */
    this.#values ??= new Float32Array(this.capacity * RATE_METRICS.length);
    const at = slot * RATE_METRICS.length;
    this.#values[at] = point.pps;
    this.#values[at + 1] = point.bps;
    this.#values[at + 2] = point.newFlowsPerSec;
    this.#values[at + 3] = point.activeFlows;
    this.#kinds.set(slot, SlotKind.Stored);
  }

  read(slot: number, t: number): RatePoint | undefined {
    const kind = this.#kinds.get(slot);
    if (kind === SlotKind.None) return undefined;
    if (kind === SlotKind.Zero) return { t, pps: 0, bps: 0, newFlowsPerSec: 0, activeFlows: 0 };
    const at = slot * RATE_METRICS.length;
    const values = this.#values!;
    return { t, pps: values[at]!, bps: values[at + 1]!, newFlowsPerSec: values[at + 2]!, activeFlows: values[at + 3]! };
  }
}

/** The shared clock of all rings: which slot is newest and when each was taken. */
export class RingClock {
  readonly #times: Float64Array;
  #next = 0;
  #filled = 0;

  constructor(readonly capacity: number) {
    this.#times = new Float64Array(capacity);
  }

  /** Claims the next slot for a sample taken at `t`. */
  advance(t: number): number {
    const slot = this.#next;
    this.#times[slot] = t;
    this.#next = (slot + 1) % this.capacity;
    this.#filled = Math.min(this.capacity, this.#filled + 1);
    return slot;
  }

  /** The newest `count` slots, oldest first, with their times. */
  *recent(count: number): IterableIterator<[slot: number, t: number]> {
    const n = Math.min(count, this.#filled);
    for (let i = n; i >= 1; i--) {
      const slot = (this.#next - i + this.capacity) % this.capacity;
      yield [slot, this.#times[slot]!];
    }
  }
}
