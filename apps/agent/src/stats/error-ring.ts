/*
 * A backend's error rates beside its traffic ring (rate-ring.ts), slot for
 * slot on the same clock: 3 more Float32 per second, 43.2 kB an hour per
 * backend, taken only once a point's rates are not all zeros (slot-kinds.ts:
 * resets zero or null). Its last probe latency, read every second but
 * changed once per check, is kept as its changes (step-series.ts): held in
 * the rates' values it took a checked backend's whole hour at its first
 * sample, 235 MB for 4,080 checked backends (issue 14). NaN in resets is
 * null (not observable in the service's mode).
 */
import type { BackendErrorRates } from '@sluice/api';
import { SlotKind, SlotKinds } from './slot-kinds.js';
import { StepSeries } from './step-series.js';

const RATES = 3;

export class ErrorRing {
  readonly #kinds: SlotKinds;
  /** Allocated for the first point whose rates are not all zeros. */
  #values: Float32Array | undefined;
  readonly #latency: StepSeries;
  /** The slot written last: the latency is read by age from it. */
  #newest = 0;

  constructor(readonly capacity: number) {
    this.#kinds = new SlotKinds(capacity);
    this.#latency = new StepSeries(capacity);
  }

  /** Called for every slot in turn, undefined for no point, so the latency's slots stay in step. */
  write(slot: number, rates: BackendErrorRates | undefined): void {
    this.#newest = slot;
    this.#latency.push(rates?.healthLatencyMs);
    const kind = !rates ? SlotKind.None : this.#values ? SlotKind.Stored : zeroKindOf(rates);
    if (kind !== SlotKind.Stored || !rates) {
      this.#kinds.set(slot, kind);
      return;
    }
    this.#values ??= this.#allocate();
    const at = slot * RATES;
    this.#values[at] = rates.dropsPerSec;
    this.#values[at + 1] = rates.resetsPerSec ?? Number.NaN;
    this.#values[at + 2] = rates.failedHandshakesPerSec;
    this.#kinds.set(slot, SlotKind.Stored);
  }

  read(slot: number): BackendErrorRates | undefined {
    const kind = this.#kinds.get(slot);
    if (kind === SlotKind.None) return undefined;
    const healthLatencyMs = this.#latency.at((this.#newest - slot + this.capacity) % this.capacity);
    if (kind === SlotKind.Zero) return { dropsPerSec: 0, resetsPerSec: 0, failedHandshakesPerSec: 0, healthLatencyMs };
    if (kind === SlotKind.ZeroWithNull) return { dropsPerSec: 0, resetsPerSec: null, failedHandshakesPerSec: 0, healthLatencyMs };
    const at = slot * RATES;
    const values = this.#values!;
    const resets = values[at + 1]!;
    return {
      dropsPerSec: values[at]!,
      resetsPerSec: Number.isNaN(resets) ? null : resets,
      failedHandshakesPerSec: values[at + 2]!,
      healthLatencyMs,
    };
  }

  /* Slots kept as zero kinds before read from their kinds, not from these values. */
  #allocate(): Float32Array {
    return new Float32Array(this.capacity * RATES);
  }
}

/** Zero or ZeroWithNull for a point whose rates need no values, else Stored. */
function zeroKindOf(rates: BackendErrorRates): SlotKind {
  if (rates.dropsPerSec !== 0 || rates.failedHandshakesPerSec !== 0) return SlotKind.Stored;
  if (rates.resetsPerSec === 0) return SlotKind.Zero;
  return rates.resetsPerSec === null ? SlotKind.ZeroWithNull : SlotKind.Stored;
}
