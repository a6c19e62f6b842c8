/*
 * A backend's error rates beside its traffic ring (rate-ring.ts), slot for
 * slot on the same clock: 4 more Float32 per second, 57.6 kB an hour per
 * backend, taken only once a point is not all zeros (slot-kinds.ts: resets
 * zero or null, no probe latency). NaN in the nullable ones is null (not
 * observable in the service's mode, or no probe).
 */
import type { BackendErrorRates } from '@sluice/api';
import { SlotKind, SlotKinds } from './slot-kinds.js';

const METRICS = 4;

export class ErrorRing {
  readonly #kinds: SlotKinds;
  /** Allocated for the first point that is not all zeros. */
  #values: Float32Array | undefined;

  constructor(readonly capacity: number) {
    this.#kinds = new SlotKinds(capacity);
  }

  write(slot: number, rates: BackendErrorRates | undefined): void {
    const kind = !rates ? SlotKind.None : this.#values ? SlotKind.Stored : zeroKindOf(rates);
    if (kind !== SlotKind.Stored || !rates) {
      this.#kinds.set(slot, kind);
      return;
    }
    this.#values ??= this.#allocate();
    const at = slot * METRICS;
    this.#values[at] = rates.dropsPerSec;
    this.#values[at + 1] = rates.resetsPerSec ?? Number.NaN;
    this.#values[at + 2] = rates.failedHandshakesPerSec;
    this.#values[at + 3] = rates.healthLatencyMs ?? Number.NaN;
    this.#kinds.set(slot, SlotKind.Stored);
  }

  read(slot: number): BackendErrorRates | undefined {
    const kind = this.#kinds.get(slot);
    if (kind === SlotKind.None) return undefined;
    if (kind === SlotKind.Zero) return { dropsPerSec: 0, resetsPerSec: 0, failedHandshakesPerSec: 0, healthLatencyMs: null };
    if (kind === SlotKind.ZeroWithNull) return { dropsPerSec: 0, resetsPerSec: null, failedHandshakesPerSec: 0, healthLatencyMs: null };
    const at = slot * METRICS;
    const values = this.#values!;
    const nullable = (value: number) => (Number.isNaN(value) ? null : value);
    return {
      dropsPerSec: values[at]!,
      resetsPerSec: nullable(values[at + 1]!),
      failedHandshakesPerSec: values[at + 2]!,
      healthLatencyMs: nullable(values[at + 3]!),
    };
  }

  /* Slots kept as zero kinds before read from their kinds, not from these values. */
  #allocate(): Float32Array {
    return new Float32Array(this.capacity * METRICS);
  }
}

/** Zero or ZeroWithNull for a point that needs no values, else Stored. */
function zeroKindOf(rates: BackendErrorRates): SlotKind {
  if (rates.dropsPerSec !== 0 || rates.failedHandshakesPerSec !== 0 || rates.healthLatencyMs !== null) return SlotKind.Stored;
  if (rates.resetsPerSec === 0) return SlotKind.Zero;
  return rates.resetsPerSec === null ? SlotKind.ZeroWithNull : SlotKind.Stored;
}
