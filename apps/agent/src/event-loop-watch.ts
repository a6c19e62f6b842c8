/*
 * How late the agent's event loop runs. While it is late the agent answers
 * no API call or `sluice node check`, streams no flow sync and applies no
 * change, so an operator (and a failed test's log) must be able to see it:
 * the delay's quantiles for the metrics, and every stall of a second or more
 * counted and logged with its length.
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

/* A stall this long is logged and counted: keepalived's check runs every second. */
export const STALL_MS = 1_000;
const TICK_MS = 100;

export interface EventLoopDelay {
  /** Quantiles of the loop's delay since the previous read (0 when nothing was sampled). */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Stalls of STALL_MS or more since the start, and the longest. */
  stalls: number;
  longestStallMs: number;
}

export class EventLoopWatch {
  readonly #histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  readonly #timer: NodeJS.Timeout;
  readonly #onStall: (ms: number) => void;
  #lastTick = performance.now();
  #stalls = 0;
  #longestStallMs = 0;

  constructor(onStall: (ms: number) => void) {
    this.#onStall = onStall;
    this.#histogram.enable();
    this.#timer = setInterval(() => this.#tick(), TICK_MS).unref();
  }

  #tick(): void {
    const now = performance.now();
    const late = now - this.#lastTick - TICK_MS;
    this.#lastTick = now;
    if (late < STALL_MS) return;
    this.#stalls++;
    this.#longestStallMs = Math.max(this.#longestStallMs, late);
    this.#onStall(late);
  }

  /** The delay since the previous read (the histogram starts again), and the stalls so far. */
  read(): EventLoopDelay {
    const h = this.#histogram;
    const ms = (ns: number) => (h.count > 0 ? ns / 1e6 : 0);
    const figures = {
      p50Ms: ms(h.percentile(50)),
      p99Ms: ms(h.percentile(99)),
      maxMs: ms(h.max),
      stalls: this.#stalls,
      longestStallMs: this.#longestStallMs,
    };
    h.reset();
    return figures;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#histogram.disable();
  }
}
