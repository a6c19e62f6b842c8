/*
 * Runs the sweep periodically. The pause between sweeps grows with the
 * table: at least intervalMs, and at least ten times the last sweep's
 * duration, so the GC never takes more than about a tenth of a core (a
 * million flows sweep in about a second; see the report's durationMs).
 */
import type { DataplaneMaps } from '../dataplane/dataplane-maps.js';
import { ActiveRecounter } from './active-counts.js';
import { type SweepReport, sweepFlows } from './sweep.js';
import { type FlowTimeouts, TimeoutTable, resolveTimeouts } from './timeouts.js';

export const DEFAULT_GC_INTERVAL_MS = 5000;
/* Sweep duration x this = the shortest pause after it. */
const DUTY_CYCLE_FACTOR = 10;

export interface ConntrackGcOptions {
	timeouts?: Partial<FlowTimeouts>;
	/** Pause between sweeps (default 5000 ms): closed flows leave within tcpClosedMs + this. */
	intervalMs?: number;
	onSweep?: (report: SweepReport) => void;
	/** A failed sweep (the next one still runs). Default: console.error. */
	onError?: (err: unknown) => void;
}

export class ConntrackGc {
	readonly timeouts: FlowTimeouts;
	readonly intervalMs: number;
	readonly #table: TimeoutTable;
	readonly #recounter = new ActiveRecounter();
	#timer: NodeJS.Timeout | undefined;
	#running = false;
	#lastReport: SweepReport | undefined;

	constructor(
		private readonly maps: DataplaneMaps,
		private readonly opts: ConntrackGcOptions = {},
	) {
		this.timeouts = resolveTimeouts(opts.timeouts);
		this.intervalMs = opts.intervalMs ?? DEFAULT_GC_INTERVAL_MS;
		if (!(this.intervalMs > 0)) throw new RangeError(`conntrack GC intervalMs must be positive, got ${this.intervalMs}`);
		this.#table = new TimeoutTable(this.timeouts);
	}

	get lastReport(): SweepReport | undefined {
		return this.#lastReport;
	}

	start(): void {
		if (this.#running) return;
		this.#running = true;
		this.#schedule(this.intervalMs);
	}

	stop(): void {
		this.#running = false;
		clearTimeout(this.#timer);
		this.#timer = undefined;
	}

	/** One pass now. `nowNs` is CLOCK_MONOTONIC (the data plane's bpf_ktime_get_coarse_ns). */
	sweep(nowNs: bigint = process.hrtime.bigint()): SweepReport {
		const report = sweepFlows(this.maps, this.#table, this.#recounter, nowNs);
		this.#lastReport = report;
		return report;
	}

	#schedule(delayMs: number): void {
		this.#timer = setTimeout(() => this.#tick(), delayMs);
	}

	#tick(): void {
		if (!this.#running) return;
		let delay = this.intervalMs;
		try {
			const report = this.sweep();
			delay = Math.max(this.intervalMs, report.durationMs * DUTY_CYCLE_FACTOR);
			this.opts.onSweep?.(report);
		} catch (err) {
			(this.opts.onError ?? ((e) => console.error('conntrack GC sweep failed:', e)))(err);
		}
		if (this.#running) this.#schedule(delay);
	}
}
