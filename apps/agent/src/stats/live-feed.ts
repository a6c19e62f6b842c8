/*
 * stats.live for every subscriber from one reading a second. With the stats
 * sampler running, the reading is the sampler's own (its totals as of each
 * sample, by name): an open console adds no read of the counter maps beside
 * the sampler's. Without a sampler (the agent's API tests), one read of the
 * totals a second, shared. One sample is built per reading, with the backends
 * only of the services subscribers named (a sample with all 4,094 backends of
 * 256 x 16 was about 1 MB of JSON per subscriber a second), and each named
 * service's view of it is shared by its subscribers.
 */
import type { StatsTotals as ApiStatsTotals, StatsSample } from '@sluice/api';
import type { StatsSampler, StatsTotals } from './stats-sampler.js';
import { type Placement, totalRate, trafficRate } from './traffic.js';
import { errorRates } from './backend-errors.js';

/** Starts readings: `listener` gets one at once and then one a second; the returned function stops them. */
export type ReadingSource = (listener: (totals: ApiStatsTotals) => void) => () => void;

/**
 * One live sample: the rates between two readings of the totals, the second's
 * global counters, and the agent's change count. `backendsOf`: only these
 * services' backends (all without it).
 */
export function liveSample(previous: ApiStatsTotals, current: ApiStatsTotals, changes: number, backendsOf?: ReadonlySet<string>): StatsSample {
  const seconds = Math.max(0.001, (current.t - previous.t) / 1000);
  const before = {
    services: new Map(previous.services.map((s) => [s.service, s])),
    backends: new Map(previous.backends.map((b) => [`${b.service} ${b.endpoint}`, b])),
  };
  return {
    t: current.t,
    total: totalRate(
      current.services.map((now) => ({ now, before: before.services.get(now.service) })),
      seconds,
      current.t,
    ),
    services: current.services.map((s) => ({ service: s.service, ...trafficRate(s, before.services.get(s.service), seconds, current.t) })),
    backends: (backendsOf ? current.backends.filter((b) => backendsOf.has(b.service)) : current.backends).map((b) => {
      const earlier = before.backends.get(`${b.service} ${b.endpoint}`);
      return {
        service: b.service,
        endpoint: b.endpoint,
        ...trafficRate(b, earlier, seconds, current.t),
        errors: errorRates(b.errors, earlier?.errors, seconds),
      };
    }),
    global: current.global,
    changes,
  };
}

/** The sampler's totals (by data-plane id) by name, in placement order; an id the sampler has not read yet is left out. */
export function namedTotals(totals: StatsTotals, placement: Placement): ApiStatsTotals {
  const services = new Map(totals.services.map((s) => [s.serviceId, s]));
  const backends = new Map(totals.backends.map((b) => [b.backendId, b]));
  const named: ApiStatsTotals = { t: totals.t, global: totals.global, services: [], backends: [] };
  for (const [service, { id, backends: ids }] of placement) {
    const s = services.get(id);
    if (s) {
      const { serviceId: _, ...traffic } = s;
      named.services.push({ service, ...traffic });
    }
    for (const [endpoint, backendId] of ids) {
      const b = backends.get(backendId);
      if (!b) continue;
      const { backendId: _id, serviceId: _service, ...traffic } = b;
      named.backends.push({ service, endpoint, ...traffic });
    }
  }
  return named;
}

/** Readings from the sampler: its totals as of its last sample at once, then at each of its samples. */
export function samplerReadings(sampler: StatsSampler, placement: () => Placement): ReadingSource {
  return (listener) => {
    const read = () => listener(namedTotals(sampler.totals(), placement()));
    read();
    sampler.on('sample', read);
    return () => void sampler.off('sample', read);
  };
}

/** Readings of the counter maps themselves, at once and then every `intervalMs`. */
export function polledReadings(readTotals: () => ApiStatsTotals, intervalMs = 1000): ReadingSource {
  return (listener) => {
    listener(readTotals());
    const timer = setInterval(() => listener(readTotals()), intervalMs);
    return () => clearInterval(timer);
  };
}

/* The service of a subscriber that named none: its view has no backends. */
const NO_SERVICE = '';

export class LiveFeed {
  readonly #source: ReadingSource;
  readonly #changes: () => number;
  /* Each listener and the service whose backends it wants (NO_SERVICE: none). */
  readonly #listeners = new Map<(sample: StatsSample) => void, string>();
  #previous: ApiStatsTotals | undefined;
  #stopSource: (() => void) | undefined;

  constructor(source: ReadingSource, changes: () => number) {
    this.#source = source;
    this.#changes = changes;
  }

  /** `listener` gets each sample from the next reading on, with `service`'s backends (none without it), until the returned function is called. */
  subscribe(listener: (sample: StatsSample) => void, service?: string): () => void {
    this.#listeners.set(listener, service ?? NO_SERVICE);
    if (this.#listeners.size === 1) this.#stopSource = this.#source((totals) => this.#read(totals));
    return () => {
      if (!this.#listeners.delete(listener) || this.#listeners.size > 0) return;
      this.#stopSource?.();
      this.#stopSource = undefined;
      this.#previous = undefined;
    };
  }

  /** The samples for one subscriber until `signal` aborts; a slow reader gets the newest, not a backlog. */
  async *samples(service: string | undefined, signal: AbortSignal): AsyncGenerator<StatsSample> {
    let pending: StatsSample | undefined;
    let wake: (() => void) | undefined;
    const stop = this.subscribe((sample) => {
      pending = sample;
      wake?.();
    }, service);
    const onAbort = () => wake?.();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!signal.aborted) {
        if (!pending) await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        const sample = pending;
        pending = undefined;
        if (sample && !signal.aborted) yield sample;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      stop();
    }
  }

  #read(current: ApiStatsTotals): void {
    const previous = this.#previous;
    this.#previous = current;
    /* A reading no later than the last (the sampler's, asked again before its next sample) makes no sample. */
    if (!previous || current.t <= previous.t) return;
    const wanted = new Set(this.#listeners.values());
    const sample = liveSample(previous, current, this.#changes(), wanted);
    /* One view per service asked for, shared by its subscribers. */
    const views = new Map<string, StatsSample>();
    for (const service of wanted) views.set(service, { ...sample, backends: sample.backends.filter((b) => b.service === service) });
    for (const [listener, service] of this.#listeners) listener(views.get(service)!);
  }
}
