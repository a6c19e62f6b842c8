/*
 * Runs the sweep periodically, on the conntrack worker thread: a million
 * flows take seconds to read, and the agent's event loop (its API) must
 * not wait for them. The pause between sweeps grows with the table: at
 * least intervalMs, and at least forty times the last sweep's duration, so
 * the GC never takes more than about a fortieth of a core (issue 14's goal:
 * under 5 % with a million flows for the whole agent). A sweep of two
 * million entries took 0.52-0.58 s while nobody paged the connection table
 * and 1.6 s with the page snapshot, which it then builds too
 * (test/conntrack/flows-1m.bench.ts), so at that size one comes every 20 s
 * or so, and less often while someone pages. The data plane expires idle flows itself; what waits for the
 * next sweep is the recount of open flows per backend and the report of
 * failed handshakes, and a console page rebuilds its own snapshot when the
 * sweep's is old (list-flows.ts).
 */
import type { DataplaneMaps } from '@sluice/dataplane';
import { workerFor } from './worker/conntrack-worker.js';
import { retireFlowIndex } from './flow-index.js';
import { PAGES_WATCHED_MS, connectionsPaged } from './list-flows.js';
import { HandshakeFailureLedger } from './handshake-failures.js';
import type { SweepReport } from './sweep.js';
import { type FlowTimeouts, expirySettingsOf, resolveTimeouts } from './timeouts.js';

export const DEFAULT_GC_INTERVAL_MS = 5000;
/* Sweep duration x this = the shortest pause after it. */
export const DUTY_CYCLE_FACTOR = 40;

export interface ConntrackGcOptions {
  timeouts?: Partial<FlowTimeouts>;
  /** Pause between sweeps (default 5000 ms): closed flows leave within tcpClosedMs + this. */
  intervalMs?: number;
  onSweep?: (report: SweepReport) => void;
  /** Sweeps build listFlows' snapshot while a page was asked for within this (default PAGES_WATCHED_MS, 2 minutes). */
  pagesWatchedMs?: number;
  /** A failed sweep (the next one still runs). Default: console.error. */
  onError?: (err: unknown) => void;
}

export class ConntrackGc {
  readonly timeouts: FlowTimeouts;
  readonly intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  /* Bumped by start() and stop(): a sweep that ends after them does not schedule the next. */
  #generation = 0;
  #lastReport: SweepReport | undefined;
  /** Handshakes that never completed, by backend id, summed over every sweep since start. */
  readonly handshakeFailures = new HandshakeFailureLedger();
  /* ActiveRecounter's memory between sweeps (it runs on the worker, which keeps nothing). */
  #lastDrift: [number, number][] = [];
  /* Told of every pass's report (flow sync sends the ended flows to its peer). */
  readonly #sweepListeners: ((report: SweepReport) => void)[] = [];
  /* Sweeps run one after another: each recount needs the drift the previous one left. */
  #previous: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly maps: DataplaneMaps,
    private readonly opts: ConntrackGcOptions = {},
  ) {
    this.timeouts = resolveTimeouts(opts.timeouts);
    this.intervalMs = opts.intervalMs ?? DEFAULT_GC_INTERVAL_MS;
    if (!(this.intervalMs > 0)) throw new RangeError(`conntrack GC intervalMs must be positive, got ${this.intervalMs}`);
  }

  get lastReport(): SweepReport | undefined {
    return this.#lastReport;
  }

  /**
   * Hands the timeouts to the data plane (it expires idle flows itself, also
   * while the agent is down: the pinned map keeps them) and sweeps every
   * intervalMs from now on. listFlows' first snapshot is built for the first page.
   */
  start(): void {
    if (this.#running) return;
    this.maps.expirySettings.update(0, expirySettingsOf(this.timeouts));
    this.#running = true;
    this.#generation++;
    this.#schedule(this.intervalMs);
  }

  /** `listener` gets every sweep's report from now on. */
  onSweepReport(listener: (report: SweepReport) => void): void {
    this.#sweepListeners.push(listener);
  }

  /** No sweep starts after this; one already running on the worker finishes (its report goes to lastReport only). */
  stop(): void {
    this.#running = false;
    this.#generation++;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * One pass now, on the worker thread; resolves when its deletes, count
   * fixes and the new listFlows snapshot are done. The snapshot is built
   * only while someone pages the connection table; otherwise the old one
   * is dropped, so no page walks a snapshot from before this pass. `nowNs`
   * is CLOCK_MONOTONIC (the data plane's bpf_ktime_get_coarse_ns); default:
   * when the pass starts reading.
   */
  sweep(nowNs?: bigint): Promise<SweepReport> {
    const pass = this.#previous.then(async () => {
      const watchedMs = this.opts.pagesWatchedMs ?? PAGES_WATCHED_MS;
      const buildIndex = connectionsPaged(this.maps, watchedMs);
      const { report, lastDrift } = await workerFor(this.maps).sweep(nowNs, this.timeouts, this.#lastDrift, buildIndex);
      /* A page since the pass started may have a snapshot on its way or served one: keep it. */
      if (!buildIndex && !connectionsPaged(this.maps, watchedMs)) retireFlowIndex(this.maps);
      this.#lastDrift = lastDrift;
      this.#lastReport = report;
      this.handshakeFailures.add(report.handshakeFailures);
      for (const listener of this.#sweepListeners) listener(report);
      return report;
    });
    this.#previous = pass.catch(() => {});
    return pass;
  }

  #schedule(delayMs: number): void {
    const generation = this.#generation;
    this.#timer = setTimeout(() => void this.#tick(generation), delayMs);
  }

  async #tick(generation: number): Promise<void> {
    let delay = this.intervalMs;
    try {
      const report = await this.sweep();
      delay = Math.max(this.intervalMs, report.durationMs * DUTY_CYCLE_FACTOR);
      if (generation === this.#generation) this.opts.onSweep?.(report);
    } catch (err) {
      if (generation === this.#generation) this.#reportError(err);
    }
    if (generation === this.#generation) this.#schedule(delay);
  }

  #reportError(err: unknown): void {
    (this.opts.onError ?? ((e) => console.error('conntrack GC sweep failed:', e)))(err);
  }
}
