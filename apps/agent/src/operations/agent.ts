/*
 * The agent process: owns the data plane and keeps its maps equal to the
 * desired state in the store. Every change goes one way:
 *   validate -> store transaction (with its audit rows) -> reconcile
 * and the transaction commits only if the reconcile succeeded. If the
 * reconcile fails part-way, the store rolls back and the previous state is
 * applied again, so a refused or failed change leaves store and maps as they were.
 */
import { type DataplaneConfig, type Identity, SluiceError, formatEndpoint, isSluiceError } from '@sluice/api';
import type { Dataplane } from '../dataplane/index.js';
import { DataplaneError } from '../dataplane/index.js';
import { ReconcileError, Reconciler } from '../reconcile/reconciler.js';
import { type AuditRecord, Store } from '../store/index.js';
import { type DataplaneOwnerOptions, startDataplane, teardownDataplane } from './dataplane-owner.js';
import { log } from '../log.js';
import { type BackendHealthStatus, type HealthTarget, type RuntimeParts, createRuntimeParts } from './runtime-parts.js';

export interface AgentOptions extends DataplaneOwnerOptions {
  /** SQLite store directory, or ':memory:' (tests). */
  dataDir: string;
  /** Detach and unpin on exit; otherwise the data plane outlives the agent. */
  detachOnExit: boolean;
  maxBackendsPerService: number;
  /** Runtime parts to use instead of the real ones (tests: see testRuntimeParts). */
  parts?: RuntimeParts;
  /** How often drain timeouts are checked. */
  drainTickMs?: number;
  /** Told after a drain timed out and its flows were ended and recorded (tests await it). */
  onDrainExpired?: (expired: DrainExpired) => void;
}

export interface DrainExpired {
  service: string;
  endpoint: string;
  flowsEnded: number;
}

/** The system's own changes (first-start import, drain expiry) in the audit log. */
export const SYSTEM_ACTOR: Identity = { user: 'sluice-agent', role: 'admin', source: 'token' };

const DEFAULT_DRAIN_TICK_MS = 250;
/* A failed end-flows of removed backends (a full table scan) is retried this much later, not every tick. */
const REMOVAL_RETRY_MS = 5000;

export class Agent {
  readonly startedAt = Date.now();
  readonly dataplane: Dataplane;
  readonly reconciler: Reconciler;
  readonly store: Store;
  readonly parts: RuntimeParts;
  #drainTimer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** A pass of #expireDrains is running (it awaits the conntrack worker). */
  #expiringDrains = false;
  /** Backend ids whose end-flows job is running: a removed one is freed when its job ends. */
  readonly #endingIds = new Set<number>();
  /** After a failed end-flows of removed backends, when to try again. */
  #retryRemovalsAt = 0;

  private constructor(readonly options: AgentOptions) {
    /* The store first: a bad data directory must fail before anything is attached. */
    this.store = new Store(options.dataDir);
    try {
      this.dataplane = startDataplane(options);
    } catch (error) {
      this.store.close();
      throw error;
    }
    this.reconciler = new Reconciler(this.dataplane.maps, Reconciler.limitsOf(this.dataplane.maps, options.maxBackendsPerService));
    this.reconciler.adopt();
    /* After the data plane: the runtime parts read its maps. */
    this.parts = options.parts ?? createRuntimeParts({ maps: this.dataplane.maps, ids: () => this.#idsInUse() });
  }

  static async start(options: AgentOptions): Promise<Agent> {
    const agent = new Agent(options);
    try {
      /* Targets first: the adopted maps say which backends carry flows, and a backend they lack starts pending. */
      agent.syncHealthTargets();
      agent.#reconcileStore();
      /* Each health.changes subscriber listens too; the default cap of 10 would warn. */
      agent.parts.health.setMaxListeners(0);
      agent.parts.health.on('change', (status: { service: string; endpoint: string; up: boolean }) => {
        log('info', `backend ${status.endpoint} of ${status.service} is ${status.up ? 'up' : 'down'}`);
        agent.#statusCache = undefined;
        agent.#reconcileStore();
      });
      agent.parts.conntrack?.start();
      agent.parts.stats?.start();
      agent.#drainTimer = setInterval(() => void agent.#expireDrains(), options.drainTickMs ?? DEFAULT_DRAIN_TICK_MS);
      agent.#drainTimer.unref();
    } catch (error) {
      agent.stop();
      throw error;
    }
    return agent;
  }

  /** For the stats sampler, each second: with serviceOf, it need not read every backend's entry from the map. */
  #idsInUse(): { services: number[]; backends: number[]; serviceOf: Map<number, number> } {
    const services: number[] = [];
    const backends: number[] = [];
    const serviceOf = new Map<number, number>();
    for (const { id, backends: ids } of this.reconciler.ids().values()) {
      services.push(id);
      for (const backendId of ids.values()) {
        backends.push(backendId);
        serviceOf.set(backendId, id);
      }
    }
    return { services, backends, serviceOf };
  }

  /* ---- health ---- */

  /**
   * Up as the checker says: a backend of a service without a check is up, a
   * pending one (never checked, not in the maps before) is not. The rows,
   * the header counts and the reconciler all read this one answer.
   */
  isUp = (service: string, endpoint: string): boolean => this.parts.health.isUp(service, endpoint);

  #statusCache: Map<string, BackendHealthStatus> | undefined;

  /**
   * The checker's last result for one backend. status() lists every backend,
   * so it is read once per turn of the event loop, not once per backend.
   */
  healthStatus(service: string, endpoint: string): BackendHealthStatus | undefined {
    if (!this.#statusCache) {
      this.#statusCache = new Map(this.parts.health.status().map((s) => [`${s.service} ${s.endpoint}`, s]));
      queueMicrotask(() => (this.#statusCache = undefined));
    }
    return this.#statusCache.get(`${service} ${endpoint}`);
  }

  /**
   * Tells the checker what the store wants checked. A backend new to the
   * checker starts as the maps have it (adopted at start, or serving before
   * its service gained a check) and pending if the maps lack it: so it gets
   * no flow before its first passing check. Runs before each reconcile.
   */
  syncHealthTargets(): void {
    const targets: HealthTarget[] = this.store.services
      .healthChecked()
      .map((target) => ({ ...target, initialUp: this.reconciler.carriesFlows(target.service, target.endpoint) }));
    this.parts.health.setTargets(targets);
    this.#statusCache = undefined;
  }

  /* ---- the change pipeline ---- */

  /**
   * Runs `change` (store writes) in a transaction with its audit rows, then
   * reconciles; any throw undoes both. Returns what `change` returned.
   */
  commit<T>(caller: Identity, change: (now: number) => { result: T; audit: AuditRecord[] }): T {
    let reconcileStarted = false;
    try {
      const result = this.store.transaction(() => {
        const now = Date.now();
        const outcome = change(now);
        for (const record of outcome.audit) this.store.audit.append(caller, record, now);
        reconcileStarted = true;
        /* Before the reconcile: a backend this change adds is pending, not up-until-told-otherwise. */
        this.syncHealthTargets();
        this.reconciler.apply(this.store.desiredState(), this.isUp);
        return outcome.result;
      });
      return result;
    } catch (error) {
      /* The transaction has rolled back: the store holds the state before the change again. */
      if (reconcileStarted) {
        this.#resyncHealthTargets();
        this.#restore(this.store.desiredState(), error);
      }
      throw asSluiceError(error);
    }
  }

  /** After a rollback: the targets of the state before the change (a refused add leaves no probe behind). */
  #resyncHealthTargets(): void {
    try {
      this.syncHealthTargets();
    } catch (error) {
      log('error', `health targets after a refused change: ${(error as Error).message}`);
    }
  }

  /** Reconcile without a store change (health flips, start-up). */
  #reconcileStore(): void {
    try {
      this.reconciler.apply(this.store.desiredState(), this.isUp);
    } catch (error) {
      log('error', `reconcile failed: ${(error as Error).message}`);
    }
  }

  #restore(previous: DataplaneConfig, cause: unknown): void {
    try {
      this.reconciler.apply(previous, this.isUp);
      log('warn', `change refused (${(cause as Error).message}); the maps were restored`);
    } catch (error) {
      log('error', `change failed (${(cause as Error).message}) and restoring the maps failed too: ${(error as Error).message}`);
    }
  }

  /* ---- data-plane facts the API reports ---- */

  serviceId(service: string): number | undefined {
    return this.reconciler.serviceIdOf(service);
  }

  backendId(service: string, endpoint: string): number | undefined {
    return this.reconciler.backendIdOf(service, endpoint);
  }

  /** Open flows of a backend: backend_active, which the data plane keeps and the conntrack GC corrects. */
  activeFlows(backendId: number | undefined): number {
    if (backendId === undefined) return 0;
    return Number(this.dataplane.maps.backendActive.lookup(backendId) ?? 0n);
  }

  /**
   * Ends the flows of these backends by data-plane id, on the conntrack
   * worker: a scan of the whole table. Open flows come off the backend's
   * active count. A removed backend is retired until then (its id and its
   * replies' translation kept, reconciler rule 6); once no flow names it, it
   * is freed here. Resolves to the flows ended.
   */
  async endFlowsById(backendIds: number[]): Promise<number> {
    if (backendIds.length === 0) return 0;
    for (const id of backendIds) this.#endingIds.add(id);
    try {
      const { ended } = await this.parts.endFlows(this.dataplane.maps, backendIds);
      if (!this.#stopped) this.reconciler.freeRetired(backendIds);
      return ended;
    } finally {
      for (const id of backendIds) this.#endingIds.delete(id);
    }
  }

  /**
   * Removed backends no end-flows job is on (retired by an agent that stopped
   * before freeing them, or whose job failed): end their flows, then free them.
   */
  async #finishRemovals(): Promise<void> {
    const waiting = this.reconciler.retiredBackendIds().filter((id) => !this.#endingIds.has(id));
    if (waiting.length === 0 || Date.now() < this.#retryRemovalsAt) return;
    try {
      const ended = await this.endFlowsById(waiting);
      log('info', `removed backends ${waiting.join(', ')}: ended ${ended} flows left on them, ids freed`);
    } catch (error) {
      this.#retryRemovalsAt = Date.now() + REMOVAL_RETRY_MS;
      log('error', `ending the flows of removed backends ${waiting.join(', ')} (their ids stay taken; retry in ${REMOVAL_RETRY_MS} ms): ${(error as Error).message}`);
    }
  }

  endFlows(service: string, endpoint: string): Promise<number> {
    const id = this.backendId(service, endpoint);
    return this.endFlowsById(id === undefined ? [] : [id]);
  }

  /* ---- drains ---- */

  /** Ends what is left of drains whose timeout passed, once each; one pass at a time. */
  async #expireDrains(): Promise<void> {
    if (this.#stopped || this.#expiringDrains) return;
    this.#expiringDrains = true;
    try {
      await this.#expireDueDrains();
      if (!this.#stopped) await this.#finishRemovals();
    } finally {
      this.#expiringDrains = false;
    }
  }

  async #expireDueDrains(): Promise<void> {
    const now = Date.now();
    for (const backend of this.store.services.pendingDrainTimeouts()) {
      if (now < backend.drainStartedAt! + backend.drainTimeoutMs!) continue;
      try {
        const ended = await this.endFlows(backend.service, backend.endpoint);
        if (this.#stopped) return;
        this.store.transaction(() => {
          this.store.services.markDrainExpired(backend, now);
          this.store.audit.append(SYSTEM_ACTOR, {
            action: 'backend.drainExpired',
            target: `${backend.service} ${backend.endpoint}`,
            before: { activeFlows: ended },
            after: { activeFlows: this.activeFlows(this.backendId(backend.service, backend.endpoint)) },
          }, now);
        });
        log('info', `drain of ${backend.endpoint} (${backend.service}) timed out after ${backend.drainTimeoutMs} ms: ended ${ended} flows`);
        this.options.onDrainExpired?.({ service: backend.service, endpoint: backend.endpoint, flowsEnded: ended });
      } catch (error) {
        log('error', `ending the drain of ${backend.endpoint} (${backend.service}): ${(error as Error).message}`);
      }
    }
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#drainTimer);
    this.parts.health.stop();
    this.parts.conntrack?.stop();
    this.parts.stats?.stop();
    this.store.close();
    this.dataplane.close();
    if (this.options.detachOnExit) teardownDataplane(this.options);
    else log('info', 'agent stopped; the data plane keeps forwarding');
  }
}

/** Errors from the reconciler and the data plane in the API's terms. */
export function asSluiceError(error: unknown): Error {
  if (isSluiceError(error)) return error;
  if (error instanceof ReconcileError) return new SluiceError(error.code, error.message);
  if (error instanceof DataplaneError)
    return new SluiceError('INTERNAL', `the data plane refused the change: ${error.message}; nothing was changed`);
  const message = (error as Error)?.message ?? String(error);
  if (/UNIQUE constraint failed/.test(message)) return new SluiceError('CONFLICT', `already exists (${message})`);
  return error instanceof Error ? error : new Error(message);
}

export { formatEndpoint };
