/*
 * A backend's error rates beside its traffic ring (rate-ring.ts), slot for
 * slot on the same clock: 4 more Float32 per second, 57.6 kB an hour per
 * backend. NaN in dropsPerSec marks a slot with no point; NaN in the
 * nullable ones is null (not observable in the service's mode, or no probe).
 */
import type { BackendErrorRates } from '@sluice/api';

const METRICS = 4;

export class ErrorRing {
  readonly #values: Float32Array;

  constructor(readonly capacity: number) {
    this.#values = new Float32Array(capacity * METRICS).fill(Number.NaN);
  }

  write(slot: number, rates: BackendErrorRates | undefined): void {
    const at = slot * METRICS;
    if (!rates) {
      this.#values.fill(Number.NaN, at, at + METRICS);
      return;
    }
    this.#values[at] = rates.dropsPerSec;
    this.#values[at + 1] = rates.resetsPerSec ?? Number.NaN;
    this.#values[at + 2] = rates.failedHandshakesPerSec;
    this.#values[at + 3] = rates.healthLatencyMs ?? Number.NaN;
  }

  read(slot: number): BackendErrorRates | undefined {
    const at = slot * METRICS;
    const dropsPerSec = this.#values[at]!;
    if (Number.isNaN(dropsPerSec)) return undefined;
    const nullable = (value: number) => (Number.isNaN(value) ? null : value);
    return {
      dropsPerSec,
      resetsPerSec: nullable(this.#values[at + 1]!),
      failedHandshakesPerSec: this.#values[at + 2]!,
      healthLatencyMs: nullable(this.#values[at + 3]!),
    };
  }
}
