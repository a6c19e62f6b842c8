/*
 * The agent's health probes on a thread of their own. A probe is a socket,
 * a timer and a few promises; at scale (4,080 backends checked every 5 s,
 * 816 probes a second) making them on the agent's thread took 17 % of it and
 * a scavenge of 4-12 ms every second or so, which any API call or change
 * waiting then paid. Here the agent's thread only posts requests and takes
 * results, each in one message a turn; the sockets' garbage is collected on
 * the probe thread's heap.
 *
 * A probe thread that dies never fails a backend: the probes it had are sent
 * again to a new thread, and after GIVE_UP_AFTER_DEATHS deaths in a row with
 * no result between them, made on the agent's thread from then on (as before
 * this thread existed), said once in the log. One that hangs (a probe out
 * HUNG_AFTER_MS past its own timeout) is ended and counts as dead: its
 * checks would otherwise stop without a word.
 */
import { Worker } from 'node:worker_threads';
import { runProbe } from '../network-probe.js';
import type { ProbeRequest, ProbeResult } from '../types.js';
import type { ProbeJob, ProbeReply } from './probe-protocol.js';

/* The sources' entry beside this file registers the TypeScript loader; the build writes dist/probe-entry.cjs beside the bundle. */
const ENTRY = new URL('./probe-entry.cjs', import.meta.url);
/* Its heap holds only probes in flight: a small young generation keeps its collections short and its memory small. */
const YOUNG_GENERATION_MB = 8;
export const GIVE_UP_AFTER_DEATHS = 3;
const HUNG_AFTER_MS = 10_000;

interface Waiting {
  request: ProbeRequest;
  resolve: (result: ProbeResult) => void;
  /* performance.now() when sent to the thread. */
  sentAt?: number;
}

export class ProbeThread {
  readonly #onError: (message: string) => void;
  readonly #entry: URL;
  readonly #hungAfterMs: number;
  #worker: Worker | undefined;
  #nextId = 1;
  /* Sent to the running thread, not answered yet. */
  readonly #inFlight = new Map<number, Waiting>();
  /* To send on the next turn. */
  #outbox: ProbeJob[] = [];
  readonly #waiting = new Map<number, Waiting>();
  #sending: NodeJS.Immediate | undefined;
  #deathsInARow = 0;
  #onThisThread = false;
  #closed = false;
  #watchdog: NodeJS.Timeout | undefined;

  /** `entry`: the thread's script; tests pass one that dies or hangs, and a shorter `hungAfterMs`. */
  constructor(onError: (message: string) => void, options: { entry?: URL; hungAfterMs?: number } = {}) {
    this.#onError = onError;
    this.#entry = options.entry ?? ENTRY;
    this.#hungAfterMs = options.hungAfterMs ?? HUNG_AFTER_MS;
  }

  /** The prober the health checker takes (types.ts Prober). */
  readonly probe = (request: ProbeRequest): Promise<ProbeResult> => {
    if (this.#onThisThread || this.#closed) return runProbe(request);
    return new Promise((resolve) => this.#queue(this.#nextId++, { request, resolve }));
  };

  /** Ends the thread; probes still out resolve as failures (the checker that asked is stopped by then). */
  close(): void {
    this.#closed = true;
    clearImmediate(this.#sending);
    clearInterval(this.#watchdog);
    const worker = this.#worker;
    this.#worker = undefined;
    void worker?.terminate();
    for (const waiting of [...this.#inFlight.values(), ...this.#waiting.values()])
      waiting.resolve({ ok: false, latencyMs: 0, error: 'the agent stopped its health checks' });
    this.#inFlight.clear();
    this.#waiting.clear();
    this.#outbox = [];
  }

  #queue(id: number, waiting: Waiting): void {
    this.#waiting.set(id, waiting);
    this.#outbox.push({ id, request: waiting.request });
    this.#sending ??= setImmediate(() => this.#send());
  }

  #send(): void {
    this.#sending = undefined;
    const jobs = this.#outbox;
    this.#outbox = [];
    if (jobs.length === 0 || this.#closed) return;
    const worker = this.#start();
    const now = performance.now();
    for (const { id } of jobs) {
      const waiting = this.#waiting.get(id)!;
      waiting.sentAt = now;
      this.#inFlight.set(id, waiting);
      this.#waiting.delete(id);
    }
    /* Held open only while probes are out: an idle thread must not keep a process (a test's) alive. */
    worker.ref();
    worker.postMessage(jobs);
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(this.#entry, { resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
    worker.on('message', (replies: ProbeReply[]) => this.#onReplies(worker, replies));
    worker.on('error', (error) => this.#onGone(worker, error));
    worker.on('exit', (code) => this.#onGone(worker, new Error(`exited with code ${code}`)));
    this.#worker = worker;
    this.#watchdog ??= setInterval(() => this.#endIfHung(), this.#hungAfterMs / 2).unref();
    return worker;
  }

  /* The oldest probe out (the first sent of those in flight) tells whether the thread still answers. */
  #endIfHung(): void {
    const oldest = this.#inFlight.values().next().value;
    if (!oldest || performance.now() - oldest.sentAt! < oldest.request.timeoutMs + this.#hungAfterMs) return;
    const worker = this.#worker;
    if (!worker) return;
    this.#onGone(worker, new Error(`no result ${Math.round(performance.now() - oldest.sentAt!)} ms after a probe was sent`));
    void worker.terminate();
  }

  #onReplies(worker: Worker, replies: ProbeReply[]): void {
    if (worker !== this.#worker) return;
    this.#deathsInARow = 0;
    for (const { id, result } of replies) {
      const waiting = this.#inFlight.get(id);
      if (!waiting) continue;
      this.#inFlight.delete(id);
      waiting.resolve(result);
    }
    if (this.#inFlight.size === 0) worker.unref();
  }

  #onGone(worker: Worker, error: Error): void {
    if (worker !== this.#worker || this.#closed) return;
    this.#worker = undefined;
    this.#deathsInARow += 1;
    const lost = [...this.#inFlight];
    this.#inFlight.clear();
    if (this.#deathsInARow >= GIVE_UP_AFTER_DEATHS) {
      this.#onThisThread = true;
      this.#onError(`the health probe thread died ${this.#deathsInARow} times in a row (last: ${error.message}); probes run on the agent's thread from now on`);
      const queued = [...this.#waiting.values()];
      this.#waiting.clear();
      this.#outbox = [];
      for (const waiting of [...lost.map(([, w]) => w), ...queued]) void runProbe(waiting.request).then(waiting.resolve);
      return;
    }
    this.#onError(`the health probe thread died (${error.message}); its ${lost.length} probes are made again on a new one`);
    for (const [id, waiting] of lost) this.#queue(id, waiting);
  }
}
