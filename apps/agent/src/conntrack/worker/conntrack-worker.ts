/*
 * The main thread's side of the conntrack worker thread (worker-thread.ts):
 * one per set of maps, started on first use, running one job at a time.
 * Every job publishes the index it built (a sweep builds one only while
 * someone pages the connection table), so listFlows sees it as soon as the
 * reply lands; on the main thread that costs a message, not a copy.
 *
 * The worker holds the process alive only while a job runs, and exits
 * after IDLE_EXIT_MS without one, so a data plane that was closed and
 * reloaded leaves no thread behind.
 */
import { Worker } from 'node:worker_threads';
import { type ConntrackMaps, mapFdsOf } from '../conntrack-maps.js';
import { type FlowIndex, indexOfColumns, publishFlowIndex } from '../flow-index.js';
import type { FlowTimeouts } from '../timeouts.js';
import type { EndFlowsReport } from '../end-flows.js';
import type { SweepOutcome, WorkerJob, WorkerReply, WorkerRequest } from './worker-protocol.js';

const ENTRY = new URL('./worker-entry.cjs', import.meta.url);
/* Longer than any sweep interval, so a running GC keeps its worker; a new one starts in a few hundred ms. */
const IDLE_EXIT_MS = 60_000;
/*
 * The worker's young generation, capped: V8 grows it up to 48 MB while the
 * thread starts (loading and compiling its modules) and keeps it for a long
 * while after, most of an idle agent's worker memory. What a sweep keeps is
 * in typed arrays outside the V8 heap, so a small one costs no extra GC work.
 */
const WORKER_YOUNG_GENERATION_MB = 6;

interface Outcome {
  /** Undefined for a sweep told not to build one. */
  index: FlowIndex | undefined;
  sweep?: SweepOutcome;
  ended?: EndFlowsReport;
}

interface Queued {
  job: WorkerJob;
  resolve: (outcome: Outcome) => void;
  reject: (err: Error) => void;
  /** Shared by every refreshIndex() call made while this job waited. */
  promise?: Promise<FlowIndex>;
}

export class ConntrackWorker {
  #worker: Worker | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #nextId = 1;
  #running: (Queued & { id: number }) | undefined;
  readonly #queue: Queued[] = [];

  constructor(private readonly maps: ConntrackMaps) {}

  /** A job is queued or running. */
  get busy(): boolean {
    return this.#running !== undefined || this.#queue.length > 0;
  }

  /** A job that will publish an index is queued or running. */
  get refreshing(): boolean {
    return [this.#running, ...this.#queue].some((q) => q && publishesIndex(q.job));
  }

  /** One GC pass on the worker; the index it builds (with `buildIndex`) is published before this resolves. */
  sweep(nowNs: bigint | undefined, timeouts: FlowTimeouts, lastDrift: [number, number][], buildIndex = true): Promise<SweepOutcome> {
    return new Promise<Outcome>((resolve, reject) => {
      this.#enqueue({ job: { kind: 'sweep', nowNs, timeouts, lastDrift, buildIndex }, resolve, reject });
    }).then(({ sweep }) => sweep!);
  }

  /**
   * Deletes every flow of these backend ids on the worker (a scan of the
   * whole table: a second at a million flows, not on the event loop); the
   * index it builds next is published before this resolves.
   */
  endFlows(backendIds: number[]): Promise<EndFlowsReport> {
    return new Promise<Outcome>((resolve, reject) => {
      this.#enqueue({ job: { kind: 'end-flows', backendIds }, resolve, reject });
    }).then(({ ended }) => ended!);
  }

  /**
   * A snapshot from a scan that starts after this call (a scan already
   * running may have missed the caller's last change). Calls made while
   * such a scan is still queued share it.
   */
  refreshIndex(): Promise<FlowIndex> {
    const waiting = this.#queue.find((q) => q.job.kind === 'index');
    if (waiting?.promise) return waiting.promise;
    return this.#queueIndex();
  }

  /** The snapshot of the index scan already queued or running, else of a new one. */
  nextIndex(): Promise<FlowIndex> {
    const pending = [this.#running, ...this.#queue].find((q) => q?.job.kind === 'index');
    return pending?.promise ?? this.#queueIndex();
  }

  #queueIndex(): Promise<FlowIndex> {
    let queued!: Queued;
    const promise = new Promise<FlowIndex>((resolve, reject) => {
      queued = { job: { kind: 'index' }, resolve: ({ index }) => resolve(index!), reject };
    });
    queued.promise = promise;
    this.#enqueue(queued);
    return promise;
  }

  /** A newer snapshot, unless one is already on its way. Failures are left to the next sweep or page. */
  requestRefresh(): void {
    if (this.refreshing) return;
    this.refreshIndex().catch(() => {});
  }

  #enqueue(queued: Queued): void {
    this.#queue.push(queued);
    this.#next();
  }

  #next(): void {
    if (this.#running) return;
    const queued = this.#queue.shift();
    clearTimeout(this.#idleTimer);
    if (!queued) {
      if (!this.#worker) return;
      this.#worker.unref();
      this.#idleTimer = setTimeout(() => this.#exit(), IDLE_EXIT_MS).unref();
      return;
    }
    let request: WorkerRequest;
    try {
      request = { id: this.#nextId++, fds: mapFdsOf(this.maps), job: queued.job };
    } catch (err) {
      /* The maps were closed. */
      queued.reject(err as Error);
      this.#next();
      return;
    }
    this.#running = { ...queued, id: request.id };
    const worker = this.#start();
    worker.ref();
    worker.postMessage(request);
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(ENTRY, { resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
    worker.on('message', (reply: WorkerReply) => this.#onReply(reply));
    worker.on('error', (err) => this.#onGone(worker, err));
    worker.on('exit', (code) => this.#onGone(worker, new Error(`conntrack worker thread exited with code ${code}`)));
    this.#worker = worker;
    return worker;
  }

  #onReply(reply: WorkerReply): void {
    const running = this.#running;
    if (!running || running.id !== reply.id) return;
    this.#running = undefined;
    if (reply.ok) {
      const index = reply.index && indexOfColumns(reply.index);
      if (index) publishFlowIndex(this.maps, index);
      running.resolve({ index, sweep: reply.sweep, ended: reply.ended });
    } else {
      running.reject(Object.assign(new Error(reply.error.message), { name: reply.error.name, stack: reply.error.stack }));
    }
    this.#next();
  }

  /* The thread died (an uncaught error, or terminate()): fail the job it had; the next job starts a new thread. */
  #onGone(worker: Worker, err: Error): void {
    if (this.#worker !== worker) return;
    this.#worker = undefined;
    const running = this.#running;
    this.#running = undefined;
    running?.reject(err);
    this.#next();
  }

  #exit(): void {
    const worker = this.#worker;
    if (!worker || this.busy) return;
    this.#worker = undefined;
    void worker.terminate();
  }
}

/* Every job but a sweep told to skip it builds an index. */
const publishesIndex = (job: WorkerJob) => job.kind !== 'sweep' || job.buildIndex;

const workers = new WeakMap<ConntrackMaps, ConntrackWorker>();

/** The worker of a set of maps (the GC's sweeps and listFlows' refreshes share it, one job at a time). */
export function workerFor(maps: ConntrackMaps): ConntrackWorker {
  let worker = workers.get(maps);
  if (!worker) {
    worker = new ConntrackWorker(maps);
    workers.set(maps, worker);
  }
  return worker;
}
