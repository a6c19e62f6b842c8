/*
 * Fixed-memory history: one Float32Array ring per metric, one slot per
 * sample. Float32 holds a rate to 7 significant digits, plenty for a chart,
 * and halves the memory: 3600 points x 4 metrics = 57.6 kB per service or
 * backend. NaN marks a slot with no point (before the scope existed).
 */
import type { BackendErrorRates } from '@sluice/api';
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
  readonly #values: Float32Array;

  constructor(readonly capacity: number) {
    this.#values = new Float32Array(capacity * RATE_METRICS.length).fill(Number.NaN);
  }

  write(slot: number, point: Omit<RatePoint, 't'> | undefined): void {
    const at = slot * RATE_METRICS.length;
    if (!point) {
      this.#values.fill(Number.NaN, at, at + RATE_METRICS.length);
      return;
    }
    this.#values[at] = point.pps;
    this.#values[at + 1] = point.bps;
    this.#values[at + 2] = point.newFlowsPerSec;
    this.#values[at + 3] = point.activeFlows;
  }

  read(slot: number, t: number): RatePoint | undefined {
    const at = slot * RATE_METRICS.length;
    const pps = this.#values[at]!;
    if (Number.isNaN(pps)) return undefined;
    return { t, pps, bps: this.#values[at + 1]!, newFlowsPerSec: this.#values[at + 2]!, activeFlows: this.#values[at + 3]! };
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
