/*
 * Once a second: sum the per-CPU counters of the whole balancer and of each
 * service and backend in use, turn the increases into rates, and keep an
 * hour of them in fixed rings. Emits 'sample' (StatsSample) after each.
 *
 * Only ids the provider names are read (counter-reads.ts: one batch per map
 * for many ids, one lookup each for a few), so the cost follows what is
 * configured, not the map sizes.
 *
 * What a sample keeps until the next one is reused, not made anew: with
 * 4,080 backends, objects that live a second outlive the agent thread's
 * young-generation collections (several a second at that scale), so each was
 * copied twice and then left as old-generation garbage. The scopes' map is
 * kept while the ids are the same, each scope's two readings are written in
 * turn, and totals() is built only when asked (the live feed asks once a
 * sample while a console is open: live-feed.ts), at most once a sample.
 */
import { EventEmitter } from 'node:events';
import type { DataplaneMaps } from '@sluice/dataplane';
import type { BackendErrors, TrafficCounters } from '@sluice/dataplane';
import type { BackendErrorTotals } from '@sluice/api';
import { type BackendSignalSource, NO_FACTS, errorRates, errorTotalsOf, readBackendErrors } from './backend-errors.js';
import { readCounters } from './counter-reads.js';
import { ErrorRing } from './error-ring.js';
import { type RatePoint, RateRing, RingClock } from './rate-ring.js';
import { GLOBAL_COUNTER_NAMES, type TrafficTotals, ZERO_TOTALS, readGlobalCounters, totalRate, trafficRate, writeTotals } from './traffic.js';

export interface StatsIds {
  services: number[];
  backends: number[];
  /** Backend id -> its service id, for per-service active flows (default: read from the backends map). */
  serviceOf?: ReadonlyMap<number, number>;
}

export interface StatsSamplerOptions {
  ids: () => StatsIds;
  intervalMs?: number;
  historySeconds?: number;
  /** Monotonic ms for rates (default performance.now; tests step it). */
  monotonicMs?: () => number;
  /** Epoch ms stamped on points (default Date.now). */
  wallMs?: () => number;
  /** A backend's failed handshakes, health latency and mode (default: none known, nat). */
  backendSignals?: BackendSignalSource;
}

export interface StatsScope {
  service?: number;
  backend?: number;
}

export interface StatsTotals {
  t: number;
  /** enum sluice_counter by name, lower-case without CNT_: action_pass, drop_no_backend, flow_new... */
  global: Record<string, number>;
  services: (TrafficTotals & { serviceId: number })[];
  backends: (TrafficTotals & { backendId: number; serviceId: number; errors: BackendErrorTotals })[];
}

export interface StatsSample {
  t: number;
  total: RatePoint;
  services: (RatePoint & { serviceId: number })[];
  backends: (RatePoint & { backendId: number })[];
}

interface Scope {
  ring: RateRing;
  /** The totals of the last sample that had counters; undefined before the first. */
  previous: TrafficTotals | undefined;
  totals: TrafficTotals;
  /** The reading before `previous`, written over by the next sample. */
  spare: TrafficTotals;
  /** Backend scopes: the error signals' ring and last reading. */
  errors?: { ring: ErrorRing; previous: BackendErrorTotals | undefined };
}

export declare interface StatsSampler {
  on(event: 'sample', listener: (sample: StatsSample) => void): this;
  on(event: 'error', listener: (err: unknown) => void): this;
}

export class StatsSampler extends EventEmitter {
  readonly intervalMs: number;
  readonly historySeconds: number;
  readonly #clock: RingClock;
  readonly #global: RateRing;
  /** A sample was taken: the next one has rates. */
  #sampled = false;
  #services = new Map<number, Scope>();
  #backends = new Map<number, Scope>();
  #lastMono: number | undefined;
  /* What totals() is built from, as of the last sample; the build is kept until the next. */
  #lastReading: { t: number; global: bigint[]; serviceOf: ReadonlyMap<number, number> } | undefined;
  #lastTotals: StatsTotals | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly maps: DataplaneMaps,
    private readonly opts: StatsSamplerOptions,
  ) {
    super();
    this.intervalMs = opts.intervalMs ?? 1000;
    this.historySeconds = opts.historySeconds ?? 3600;
    const capacity = Math.max(1, Math.ceil((this.historySeconds * 1000) / this.intervalMs));
    this.#clock = new RingClock(capacity);
    this.#global = new RateRing(capacity);
  }

  start(): void {
    if (this.#timer) return;
    this.sampleOnce();
    this.#timer = setInterval(() => {
      try {
        this.sampleOnce();
      } catch (err) {
        if (this.listenerCount('error') > 0) this.emit('error', err);
        else console.error('stats sample failed:', err);
      }
    }, this.intervalMs);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  sampleOnce(): StatsSample {
    const t = (this.opts.wallMs ?? Date.now)();
    const mono = (this.opts.monotonicMs ?? performance.now.bind(performance))();
    const seconds = this.#lastMono === undefined ? 0 : (mono - this.#lastMono) / 1000;
    this.#lastMono = mono;
    const ids = this.opts.ids();
    const slot = this.#clock.advance(t);

    /* Backends first: services sum their active flows. */
    const serviceOf = ids.serviceOf ?? this.#serviceOfFromMaps(ids.backends);
    this.#backends = this.#keepScopes(this.#backends, ids.backends);
    this.#services = this.#keepScopes(this.#services, ids.services);
    const read = readCounters(this.maps, ids.backends, ids.services);
    const backendPoints: StatsSample['backends'] = [];
    const activeByService = new Map<number, number>();
    for (const [id, scope] of this.#backends) {
      const active = read.active(id);
      const point = this.#sampleScope(scope, read.backend(id), active, slot, seconds);
      const errors = this.#sampleErrors(scope, id, read.errors(id), slot, point !== undefined, seconds);
      if (point) backendPoints.push({ t, ...point, ...(errors ? { errors } : {}), backendId: id });
      const service = serviceOf.get(id);
      if (service !== undefined) activeByService.set(service, (activeByService.get(service) ?? 0) + active);
    }

    const servicePoints: StatsSample['services'] = [];
    /* The whole balancer's rates sum the services' readings, as stats.live does (stats/traffic.ts totalRate). */
    const readings: { now: TrafficTotals; before: TrafficTotals | undefined }[] = [];
    for (const [id, scope] of this.#services) {
      const before = scope.previous;
      const point = this.#sampleScope(scope, read.service(id), activeByService.get(id) ?? 0, slot, seconds);
      if (point) servicePoints.push({ t, ...point, serviceId: id });
      if (scope.previous !== before) readings.push({ now: scope.totals, before });
    }

    const total = totalRate(readings, seconds, t);
    this.#global.write(slot, this.#sampled && seconds > 0 ? total : undefined);
    this.#sampled = true;

    this.#lastReading = { t, global: this.#readGlobal(), serviceOf };
    this.#lastTotals = undefined;
    const sample: StatsSample = { t, total, services: servicePoints, backends: backendPoints };
    this.emit('sample', sample);
    return sample;
  }

  /** Absolute counters as of the last sample (taking one if none yet). */
  totals(): StatsTotals {
    if (!this.#lastReading) this.sampleOnce();
    if (this.#lastTotals) return this.#lastTotals;
    const { t, global, serviceOf } = this.#lastReading!;
    this.#lastTotals = {
      t,
      global: Object.fromEntries(GLOBAL_COUNTER_NAMES.map(({ name, index }) => [name, Number(global[index] ?? 0n)])),
      services: [...this.#services].map(([serviceId, s]) => ({ serviceId, ...s.totals })),
      backends: [...this.#backends].map(([backendId, s]) => ({
        backendId,
        serviceId: serviceOf.get(backendId) ?? -1,
        ...s.totals,
        errors: s.errors?.previous ?? errorTotalsOf(readBackendErrors(undefined, NO_FACTS)),
      })),
    };
    return this.#lastTotals;
  }

  /** The last `seconds` of points, oldest first: the whole balancer, a service, or a backend. */
  series(scope: StatsScope, seconds: number): RatePoint[] {
    const ring =
      scope.backend !== undefined
        ? this.#backends.get(scope.backend)?.ring
        : scope.service !== undefined
          ? this.#services.get(scope.service)?.ring
          : this.#global;
    if (!ring) return [];
    const errorRing = scope.backend !== undefined ? this.#backends.get(scope.backend)?.errors?.ring : undefined;
    const count = Math.ceil((seconds * 1000) / this.intervalMs);
    const points: RatePoint[] = [];
    for (const [slot, t] of this.#clock.recent(count)) {
      const point = ring.read(slot, t);
      if (!point) continue;
      const errors = errorRing?.read(slot);
      points.push(errors ? { ...point, errors } : point);
    }
    return points;
  }

  /* A backend's error rates beside its traffic point (only when it has one: the rings stay slot for slot). */
  #sampleErrors(scope: Scope, id: number, counters: BackendErrors | undefined, slot: number, hasPoint: boolean, seconds: number) {
    scope.errors ??= { ring: new ErrorRing(this.#clock.capacity), previous: undefined };
    const reading = errorTotalsOf(readBackendErrors(counters, this.opts.backendSignals?.(id) ?? NO_FACTS));
    const before = scope.errors.previous;
    scope.errors.previous = reading;
    const rates = hasPoint && before ? errorRates(reading, before, seconds) : undefined;
    scope.errors.ring.write(slot, rates);
    return rates;
  }

  /* Scopes of ids no longer in use are dropped: a reused id starts a new history. The same ids keep the same map. */
  #keepScopes(current: Map<number, Scope>, ids: number[]): Map<number, Scope> {
    if (ids.length === current.size && ids.every((id) => current.has(id))) return current;
    const next = new Map<number, Scope>();
    for (const id of ids)
      next.set(id, current.get(id) ?? { ring: new RateRing(this.#clock.capacity), previous: undefined, totals: { ...ZERO_TOTALS }, spare: { ...ZERO_TOTALS } });
    return next;
  }

  #sampleScope(scope: Scope, counters: TrafficCounters | undefined, active: number, slot: number, seconds: number): Omit<RatePoint, 't'> | undefined {
    if (!counters) {
      scope.ring.write(slot, undefined);
      return undefined;
    }
    const prev = scope.previous;
    /* Written over: the reading before prev, which nothing holds any more. */
    const next = scope.spare;
    scope.spare = scope.totals;
    scope.totals = writeTotals(next, counters, active);
    scope.previous = scope.totals;
    if (!prev || seconds <= 0) {
      scope.ring.write(slot, undefined);
      return undefined;
    }
    const { t: _t, ...point } = trafficRate(scope.totals, prev, seconds, 0);
    scope.ring.write(slot, point);
    return point;
  }

  #readGlobal(): bigint[] {
    return readGlobalCounters(this.maps);
  }

  #serviceOfFromMaps(backendIds: number[]): Map<number, number> {
    const result = new Map<number, number>();
    for (const id of backendIds) {
      const backend = this.maps.backends.lookup(id);
      if (backend && backend.family !== 0) result.set(id, backend.service_id);
    }
    return result;
  }
}
