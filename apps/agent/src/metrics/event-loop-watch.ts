/*
 * How late the agent's event loop runs. While it is late the agent answers
 * no API call or `sluice node check`, streams no flow sync and applies no
 * change, so an operator (and a failed test's log) must be able to see it:
 * the delay's quantiles for the metrics, and every stall of a second or more
 * counted and logged with its length. Watched from the moment the agent
 * serves (start()): its start-up is busy by nature and timed on its own.
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

/* A stall this long is logged and counted: keepalived's check runs every second. */
export const STALL_MS = 1_000;
/*
 * Each is a wake-up of an otherwise idle agent: at 10 ms and 100 ms they
 * were 110 of its wake-ups a second and a measurable part of its idle CPU
 * (issue 14). 50 ms still gives 300 delay samples per 15 s metrics scrape,
 * and a stall of a second is seen within a quarter of a second of ending.
 */
const TICK_MS = 250;
const RESOLUTION_MS = 50;

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
  readonly #histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  readonly #onStall: (ms: number) => void;
  #timer: NodeJS.Timeout | undefined;
  #lastTick = 0;
  #stalls = 0;
  #longestStallMs = 0;

  constructor(onStall: (ms: number) => void) {
    this.#onStall = onStall;
  }

  start(): void {
    if (this.#timer) return;
    this.#histogram.enable();
    this.#lastTick = performance.now();
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
