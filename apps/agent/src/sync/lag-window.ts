/*
 * Sync lag: from the master reading a flow event off its ring (woken by
 * the program, or after a millisecond's rest under load) to the entry written here, from the
 * master's wall clock in the frame. The pair's nodes run NTP on one segment;
 * a skew shows up in these numbers one for one (and a negative one is kept
 * as measured, not hidden).
 */
const WINDOW = 1024;

export interface LagSummary {
  /** Batches measured since start. */
  samples: number;
  lastMs: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

export class LagWindow {
  #ring: number[] = [];
  #next = 0;
  #samples = 0;
  #last: number | null = null;

  add(ms: number): void {
    if (this.#ring.length < WINDOW) this.#ring.push(ms);
    else this.#ring[this.#next] = ms;
    this.#next = (this.#next + 1) % WINDOW;
    this.#samples++;
    this.#last = ms;
  }

  /** Over the last WINDOW batches. */
  summary(): LagSummary {
    if (this.#ring.length === 0) return { samples: 0, lastMs: null, p50Ms: null, p99Ms: null, maxMs: null };
    const sorted = [...this.#ring].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    const round = (ms: number) => Math.round(ms * 10) / 10;
    return { samples: this.#samples, lastMs: round(this.#last!), p50Ms: round(at(0.5)), p99Ms: round(at(0.99)), maxMs: round(sorted[sorted.length - 1]!) };
  }
}
