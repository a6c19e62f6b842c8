/*
 * Probes every backend on its own timer and turns results into up/down with
 * rise/fall thresholds. Emits 'change' (BackendHealth) when one's state changes,
 * and 'check' (BackendHealth) after every probe result, so a caller can await
 * progress instead of sleeping.
 *
 * Start state: a new target is pending: not up, so it gets no new flows,
 * until its first result. Its first check decides alone: one pass makes it
 * up, one failure makes it down (from then on rise and fall apply). This is
 * Envoy's ignore_new_hosts_until_first_hc with its "a single success marks
 * a new host healthy", and HAProxy's init-state down: rise exists to keep a
 * flapping backend out, and a new one has not flapped; asking rise passes of
 * it would only keep a working backend idle for rise x interval.
 * A target whose state is already known (the running data plane carries its
 * flows, or not: pass initialUp) starts in that state instead, so an agent
 * restart or a service gaining a check neither empties a lookup table nor
 * sends new flows to a backend nobody has checked.
 *
 * First check: a pending target is probed within FIRST_CHECK_SPREAD_MS (or
 * its interval, if shorter), so a backend added by an operator serves within
 * about a second, not a whole interval later.
 *
 * Timing: checks run at a fixed rate (start to start = intervalMs) from a
 * random phase, so a dead backend fails the checks that start at most
 * intervalMs, 2 x intervalMs, ... fall x intervalMs after it died, the last
 * one ending by fall x intervalMs + timeoutMs: that is the bound on marking
 * it down. A probe still running when the next is due delays it (never two
 * at once per backend), so keep timeoutMs <= intervalMs (the API enforces it).
 *
 * Spread: each target's first check waits a random fraction of its
 * interval (of the first-check window when pending), so a thousand backends
 * added at once probe evenly instead of all in the same tick.
 *
 * Flips in batches: a result that flips a target is queued and published
 * on the next turn of the event loop (setImmediate) together with every
 * other flip of its service queued by then, a few services a turn. isUp(),
 * status() and 'change' show a flip only from then on, all at once, so the
 * agent's reconcile on the first 'change' of a service sees all of them and
 * builds its table once (a fresh start flips 4,080 checked backends within
 * about a second: one Maglev build per flip kept the first start at 4-5.7 s)
 * while every view of health still agrees with the maps. The result's
 * 'check' comes after its flip is published. A check of type none is up at
 * once, as before.
 */
import { EventEmitter } from 'node:events';
import { httpProbe } from './http-probe.js';
import type { ProbeRouter } from './probe-steering.js';
import { tcpProbe } from './tcp-probe.js';
import type { BackendHealth, HealthCheckSpec, HealthTarget, ProbeResult } from './types.js';

/** A pending target's first probe starts within this (a random point of it, for spread). */
export const FIRST_CHECK_SPREAD_MS = 1000;
/* Services whose queued flips one turn publishes: each may rebuild a Maglev table (about 2 ms), and the API waits behind them. */
export const FLIP_SERVICES_PER_TURN = 8;

export interface HealthCheckerOptions {
  /** Source of the start phase, in [0, 1) (tests pin it). */
  random?: () => number;
  /**
   * Steers the probes of targets with a dataPath (dsr/ipip/gue backends).
   * Without it such a target fails every check, saying so: probing its own
   * address instead would call up a backend clients cannot reach.
   */
  router?: ProbeRouter;
  /**
   * Probes one target (default: over the network, steered by router).
   * Tests of what the checker does with results pass one that answers
   * when they say, so results land together without racing the clock.
   */
  probe?: (target: HealthTarget) => Promise<ProbeResult>;
}

interface TargetState {
  target: HealthTarget;
  health: BackendHealth;
  timer: NodeJS.Timeout | undefined;
  /** Bumped when the target is rescheduled or removed: results of older probes are dropped. */
  generation: number;
  /** A flip queued for the next publish (up or down); undefined: none. */
  flip: boolean | undefined;
}

const keyOf = (service: string, endpoint: string) => `${service}\n${endpoint}`;

function sameCheck(a: HealthCheckSpec, b: HealthCheckSpec): boolean {
  return (
    a.type === b.type &&
    a.intervalMs === b.intervalMs &&
    a.timeoutMs === b.timeoutMs &&
    a.rise === b.rise &&
    a.fall === b.fall &&
    a.path === b.path &&
    a.expectStatus?.[0] === b.expectStatus?.[0] &&
    a.expectStatus?.[1] === b.expectStatus?.[1]
  );
}

export declare interface HealthChecker {
  on(event: 'change' | 'check', listener: (health: BackendHealth) => void): this;
  emit(event: 'change' | 'check', health: BackendHealth): boolean;
}

export class HealthChecker extends EventEmitter {
  readonly #targets = new Map<string, TargetState>();
  /* The keys of #targets by service, so that one service's targets are found without a walk over all. */
  readonly #keysByService = new Map<string, Set<string>>();
  readonly #random: () => number;
  readonly #router: ProbeRouter | undefined;
  readonly #probe: (target: HealthTarget) => Promise<ProbeResult>;
  /* Targets with a queued flip, by service, services in the order of their first flip. */
  readonly #flipped = new Map<string, Set<TargetState>>();
  #publishing: NodeJS.Immediate | undefined;
  #stopped = false;

  constructor(opts: HealthCheckerOptions = {}) {
    super();
    this.#random = opts.random ?? Math.random;
    const { router } = opts;
    this.#router = router;
    this.#probe = opts.probe ?? ((target) => probe(target, router));
  }

  /**
   * The full set of backends to check. Idempotent: a target that is
   * unchanged keeps its state and its timer; one whose check settings
   * changed keeps its state and is rescheduled; others start fresh
   * (pending, or as their initialUp says).
   */
  setTargets(targets: HealthTarget[]): void {
    this.setTargetsOf(new Set([...this.#keysByService.keys(), ...targets.map((target) => target.service)]), targets);
  }

  /**
   * The backends to check of these services only, as setTargets treats
   * them; other services' targets stay as they are. A change to one service
   * then costs its own backends, not the whole configuration's (issue 14:
   * 4,096 health-checked backends took about 2 ms per change).
   */
  setTargetsOf(services: ReadonlySet<string>, targets: HealthTarget[]): void {
    if (this.#stopped) throw new Error('HealthChecker is stopped');
    const wanted = new Map<string, HealthTarget>();
    for (const target of targets) {
      validate(target);
      if (!services.has(target.service)) throw new Error(`health target ${target.endpoint} of ${target.service} is outside the services being set`);
      wanted.set(keyOf(target.service, target.endpoint), target);
    }
    /* Ports of probes steered through the data path, freed when their target goes or turns nat. */
    const unsteered: string[] = [];
    for (const service of services) {
      const keys = this.#keysByService.get(service);
      if (!keys) continue;
      for (const key of keys) {
        if (wanted.get(key)?.dataPath) continue;
        const state = this.#targets.get(key)!;
        if (state.target.dataPath) unsteered.push(key);
        if (wanted.has(key)) continue;
        this.#cancel(state);
        this.#targets.delete(key);
        keys.delete(key);
      }
      if (keys.size === 0) this.#keysByService.delete(service);
    }
    if (unsteered.length > 0) this.#router?.release(unsteered);
    for (const [key, target] of wanted) {
      const state = this.#targets.get(key);
      if (!state) {
        this.#add(key, target);
      } else if (
        !sameCheck(state.target.check, target.check) ||
        state.target.address !== target.address ||
        state.target.port !== target.port ||
        JSON.stringify(state.target.dataPath) !== JSON.stringify(target.dataPath)
      ) {
        state.target = target;
        state.health.checkType = target.check.type;
        this.#cancel(state);
        this.#start(state);
      } else {
        state.target = target;
      }
    }
  }

  status(): BackendHealth[] {
    return [...this.#targets.values()].map((s) => ({ ...s.health }));
  }

  /** One backend's status(), or undefined when it is not a target: a view of one backend does not copy them all. */
  statusOf(service: string, endpoint: string): BackendHealth | undefined {
    const state = this.#targets.get(keyOf(service, endpoint));
    return state && { ...state.health };
  }

  /**
   * Unknown backends count as up: only backends of services with a check
   * are targets, and the rest take flows at once. Pending ones are not up.
   */
  isUp(service: string, endpoint: string): boolean {
    return this.#targets.get(keyOf(service, endpoint))?.health.up ?? true;
  }

  stop(): void {
    this.#stopped = true;
    for (const state of this.#targets.values()) this.#cancel(state);
    clearImmediate(this.#publishing);
    this.#flipped.clear();
  }

  #add(key: string, target: HealthTarget): void {
    const state: TargetState = {
      target,
      health: {
        service: target.service,
        endpoint: target.endpoint,
        checkType: target.check.type,
        up: target.initialUp ?? false,
        pending: target.initialUp === undefined,
        lastCheckAt: null,
        lastLatencyMs: null,
        lastError: null,
        consecutiveSuccesses: 0,
        consecutiveFailures: 0,
      },
      timer: undefined,
      generation: 0,
      flip: undefined,
    };
    this.#targets.set(key, state);
    let keys = this.#keysByService.get(target.service);
    if (!keys) this.#keysByService.set(target.service, (keys = new Set()));
    keys.add(key);
    this.#start(state);
  }

  #start(state: TargetState): void {
    if (state.target.check.type === 'none') {
      /* Not checked: always up. */
      this.#setUp(state, true);
      return;
    }
    const { intervalMs } = state.target.check;
    const window = state.health.pending ? Math.min(intervalMs, FIRST_CHECK_SPREAD_MS) : intervalMs;
    this.#schedule(state, this.#random() * window);
  }

  /* Its probes' results are dropped from now on: a flip one of them queued too. */
  #cancel(state: TargetState): void {
    clearTimeout(state.timer);
    state.timer = undefined;
    state.generation++;
    if (state.flip === undefined) return;
    state.flip = undefined;
    const queued = this.#flipped.get(state.target.service);
    queued?.delete(state);
    if (queued?.size === 0) this.#flipped.delete(state.target.service);
  }

  #schedule(state: TargetState, delayMs: number): void {
    const generation = state.generation;
    state.timer = setTimeout(() => void this.#run(state, generation), Math.max(0, delayMs));
  }

  async #run(state: TargetState, generation: number): Promise<void> {
    const started = performance.now();
    const { target } = state;
    const result = await this.#probe(target);
    if (this.#stopped || state.generation !== generation) return;
    this.#record(state, result);
    this.#schedule(state, started + target.check.intervalMs - performance.now());
  }

  #record(state: TargetState, result: ProbeResult): void {
    const { health } = state;
    const { rise, fall } = state.target.check;
    health.lastCheckAt = Date.now();
    health.lastLatencyMs = Math.round(result.latencyMs * 100) / 100;
    health.lastError = result.error;
    if (result.ok) {
      health.consecutiveSuccesses++;
      health.consecutiveFailures = 0;
    } else {
      health.consecutiveFailures++;
      health.consecutiveSuccesses = 0;
    }
    /* Judged on the state as it will be once a queued flip is published. */
    const up = state.flip ?? health.up;
    /* Pending: the first result decides alone (see the header). */
    if (health.pending && state.flip === undefined) this.#queueFlip(state, result.ok);
    else if (result.ok && !up && health.consecutiveSuccesses >= rise) this.#queueFlip(state, true);
    else if (!result.ok && up && health.consecutiveFailures >= fall) this.#queueFlip(state, false);
    /* A result whose flip waits is told with it (#publish). */
    if (state.flip === undefined) this.emit('check', { ...health });
  }

  /** Now: a check of type none. */
  #setUp(state: TargetState, up: boolean): void {
    if (this.#apply(state, up)) this.emit('change', { ...state.health });
  }

  /** Sets the published state; false when it says so already (for a flip: a later result took it back). */
  #apply(state: TargetState, up: boolean): boolean {
    if (state.health.up === up && !state.health.pending) return false;
    state.health.up = up;
    state.health.pending = false;
    return true;
  }

  #queueFlip(state: TargetState, up: boolean): void {
    state.flip = up;
    const { service } = state.target;
    let queued = this.#flipped.get(service);
    if (!queued) this.#flipped.set(service, (queued = new Set()));
    queued.add(state);
    this.#publishing ??= setImmediate(() => this.#publish());
  }

  /** The queued flips of the first FLIP_SERVICES_PER_TURN services: all applied, then each told ('change', then 'check'). */
  #publish(): void {
    this.#publishing = undefined;
    const told: TargetState[] = [];
    const flipped: TargetState[] = [];
    let services = 0;
    for (const [service, queued] of this.#flipped) {
      if (services++ === FLIP_SERVICES_PER_TURN) break;
      /* A removed or rescheduled target left its set (#cancel). */
      this.#flipped.delete(service);
      for (const state of queued) {
        const up = state.flip!;
        state.flip = undefined;
        told.push(state);
        if (this.#apply(state, up)) flipped.push(state);
      }
    }
    if (this.#flipped.size > 0) this.#publishing = setImmediate(() => this.#publish());
    for (const state of flipped) this.emit('change', { ...state.health });
    for (const state of told) this.emit('check', { ...state.health });
  }
}

/*
 * A nat backend is probed at its own address; a dsr/ipip/gue one at the VIP
 * from its reserved port, so the probe travels the path clients' packets take.
 */
function probe(target: HealthTarget, router: ProbeRouter | undefined): Promise<ProbeResult> {
  const { check, dataPath } = target;
  let address = target.address;
  let port = target.port;
  let localPort: number | undefined;
  if (dataPath) {
    if (!router)
      return Promise.resolve({
        ok: false,
        latencyMs: 0,
        error: `a ${dataPath.mode} backend is checked through the data path, which this agent has not attached`,
      });
    try {
      localPort = router.portFor(keyOf(target.service, target.endpoint), dataPath);
    } catch (error) {
      return Promise.resolve({ ok: false, latencyMs: 0, error: (error as Error).message });
    }
    address = dataPath.vip;
    port = dataPath.vipPort;
  }
  if (check.type === 'http') return httpProbe({ address, port, timeoutMs: check.timeoutMs, path: check.path, expectStatus: check.expectStatus, localPort });
  return tcpProbe(address, port, check.timeoutMs, localPort);
}

function validate(target: HealthTarget): void {
  const { check } = target;
  const where = `health check of ${target.endpoint} (${target.service})`;
  for (const field of ['intervalMs', 'timeoutMs', 'rise', 'fall'] as const) {
    if (!Number.isFinite(check[field]) || check[field] <= 0) throw new RangeError(`${where}: ${field} must be positive, got ${check[field]}`);
  }
}
