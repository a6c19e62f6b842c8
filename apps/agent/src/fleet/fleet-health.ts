/*
 * One health view for the fleet (issue 16). If every node probed on its own,
 * their tables would differ for a moment around each flip (one node has seen
 * the backend fail, another not yet), and a flow moved between them by ECMP
 * would land on another backend. So one node checks and every node applies
 * what it publishes:
 *
 * - One checker for the whole fleet, not one per backend: every probe's
 *   outcome is the same whichever node runs it (the backends are reached the
 *   same way from every node), a single lease to renew keeps etcd's load flat
 *   with the number of backends, and a takeover is one event, not one per
 *   backend. It is elected like etcd's own election recipe: CHECKER_KEY is
 *   created in a txn only if absent, bound to the candidate's lease; when the
 *   checker dies its lease lapses (TTL), the key goes, and the first node to
 *   create it again checks from then on.
 * - The checker runs the local HealthChecker (rise/fall and all) and writes
 *   each backend's up/down to health/backends/SERVICE/ENDPOINT in a txn that
 *   holds only while CHECKER_KEY is still on its lease: a checker that lost
 *   its role cannot overwrite its successor's results.
 * - Every node, the checker too, lists health/ and watches it, and answers
 *   isUp() from the published results only, emitting 'change' on a flip: the
 *   agent reconciles through the same path as a local probe's flip.
 * - A node that cannot reach etcd keeps the last published state: it does not
 *   fall back to its own probes, which is the very divergence this removes.
 *   A backend with no published result yet is as the maps had it (initialUp),
 *   or pending (no new flows) when they lack it: as the local checker starts.
 */
import { EventEmitter } from 'node:events';
import type { Etcd3, IKeyValue, Lease, Watcher } from 'etcd3';
import type { BackendHealth, HealthTarget } from '../health/index.js';
import { CHECKER_KEY, HEALTH_PREFIX, HEALTH_RESULTS_PREFIX, healthResultKey } from './fleet-keys.js';

/** What a published result says of one backend (the value of its key). */
export interface PublishedHealth {
  service: string;
  endpoint: string;
  up: boolean;
  /** The node whose probe observed it. */
  checker: string;
  /** Epoch ms the checker saw this state (its flip, or its takeover). */
  observedAt: number;
  lastError: string | null;
  lastLatencyMs: number | null;
  /** The etcd revision of the write: the same on every node that applied it. */
  revision: number;
}

/** The local checker the fleet's checker runs (HealthChecker, or a test's stand-in). */
export type LocalHealth = EventEmitter & {
  setTargets(targets: HealthTarget[]): void;
  status(): BackendHealth[];
  stop(): void;
};

export interface FleetHealthOptions {
  client: Etcd3;
  node: string;
  local: LocalHealth;
  /** The checker's lease: a dead checker is replaced within it. */
  leaseTtlSeconds: number;
  /** Pause between campaign turns and after a broken watch. */
  retryMs: number;
  /** False while this node must not check for the fleet (it refuses the compatibility record): it neither campaigns nor keeps the role. */
  mayCheck?: () => boolean;
  /** How long stop() waits for etcd to end this node's watch before it lets go (release()). */
  cancelWaitMs?: number;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
}

const keyOf = (service: string, endpoint: string) => `${service}\n${endpoint}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export declare interface FleetHealth {
  on(event: 'change', listener: (health: BackendHealth) => void): this;
  on(event: 'error', listener: (error: unknown) => void): this;
  emit(event: 'change', health: BackendHealth): boolean;
}

export class FleetHealth extends EventEmitter {
  readonly #options: FleetHealthOptions;
  readonly #targets = new Map<string, HealthTarget>();
  readonly #published = new Map<string, PublishedHealth>();
  /** The node that holds CHECKER_KEY as this node last saw it; null: none (or not known yet). */
  #checker: string | null = null;
  /** Held while this node is the checker. */
  #lease: Lease | undefined;
  #leaseId: string | undefined;
  #watcher: Watcher | undefined;
  #stopped = false;
  #started = false;
  /** Ends the current watch as stop() does: our listeners off, the follow loop's wait resolved. */
  #endWatch: (() => void) | undefined;
  readonly #publishing = new Set<string>();
  /** What this node wrote as the checker (until its watch brings it back): a republish does not write it twice. */
  readonly #written = new Map<string, boolean>();
  /** The last error following health/, logged once, not at every retry. */
  #followError: string | null = null;
  readonly #onLocalChange = (health: BackendHealth) => void this.#publish(health);

  constructor(options: FleetHealthOptions) {
    super();
    this.#options = options;
  }

  /** The node that checks, as last seen (null: none known). */
  get checker(): string | null {
    return this.#checker;
  }

  /** This node holds the checker's role. */
  get checking(): boolean {
    return this.#lease !== undefined;
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    void this.#follow();
    void this.#campaign();
  }

  setTargets(targets: HealthTarget[]): void {
    this.#targets.clear();
    this.#adopt(targets);
  }

  /**
   * The targets of these services only (HealthChecker.setTargetsOf). The
   * checker is still handed all of them: a fleet's change waits for etcd
   * anyway, far longer than this walk.
   */
  setTargetsOf(services: ReadonlySet<string>, targets: HealthTarget[]): void {
    for (const [key, target] of this.#targets) if (services.has(target.service)) this.#targets.delete(key);
    this.#adopt(targets);
  }

  #adopt(targets: HealthTarget[]): void {
    for (const target of targets) this.#targets.set(keyOf(target.service, target.endpoint), target);
    if (this.checking) {
      this.#options.local.setTargets(this.#localTargets());
      void this.#forgetRemoved();
    }
  }

  isUp(service: string, endpoint: string): boolean {
    const target = this.#targets.get(keyOf(service, endpoint));
    if (!target || target.check.type === 'none') return true;
    return this.#published.get(keyOf(service, endpoint))?.up ?? target.initialUp ?? false;
  }

  status(): (BackendHealth & { checkedBy: string | null })[] {
    return [...this.#targets.values()].map((target) => this.#statusOf(target));
  }

  statusOf(service: string, endpoint: string): (BackendHealth & { checkedBy: string | null }) | undefined {
    const target = this.#targets.get(keyOf(service, endpoint));
    return target && this.#statusOf(target);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#campaignTimer);
    this.#endWatch?.();
    this.#options.local.off('change', this.#onLocalChange);
    this.#options.local.stop();
  }

  /**
   * On a clean stop, before the client closes: the watch ended in etcd (a
   * watcher left in the client would have it reconnect for ever, keeping the
   * process alive) and the role handed over at once, not after the lease's TTL.
   */
  async release(): Promise<void> {
    this.stop();
    const watcher = this.#watcher;
    this.#watcher = undefined;
    if (watcher) await cancelWithin(watcher, this.#options.cancelWaitMs ?? 2000);
    await this.#lease?.revoke().catch(() => {});
  }

  #statusOf(target: HealthTarget): BackendHealth & { checkedBy: string | null } {
    const published = this.#published.get(keyOf(target.service, target.endpoint));
    const none = target.check.type === 'none';
    return {
      service: target.service,
      endpoint: target.endpoint,
      checkType: target.check.type,
      up: this.isUp(target.service, target.endpoint),
      pending: !none && !published && target.initialUp === undefined,
      lastCheckAt: published?.observedAt ?? null,
      lastLatencyMs: published?.lastLatencyMs ?? null,
      lastError: published?.lastError ?? null,
      /* Runs are the checker's own counting: the fleet shares states, not every probe. */
      consecutiveSuccesses: 0,
      consecutiveFailures: 0,
      checkedBy: published?.checker ?? null,
    };
  }

  /* ---- following the published results: list, then watch; again after a break ---- */

  async #follow(): Promise<void> {
    while (!this.#stopped) {
      try {
        const revision = await this.#list();
        this.#followError = null;
        /* A watch opened after stop() would never end (the client is closing): the loop would keep the process alive. */
        if (this.#stopped) return;
        await this.#watch(revision + 1);
      } catch (error) {
        /* Unreachable: the last published state stays (see the header). */
        const message = messageOf(error);
        if (!this.#stopped && message !== this.#followError) this.#options.log('warn', `fleet health: ${message}; keeping the last published state`);
        this.#followError = message;
      }
      if (!this.#stopped) await sleep(this.#options.retryMs);
    }
  }

  async #list(): Promise<number> {
    const response = await this.#options.client.getAll().prefix(HEALTH_PREFIX).exec();
    if (this.#stopped) return Number(response.header.revision);
    const seen = new Set<string>();
    let checker: string | null = null;
    for (const kv of response.kvs) {
      if (kv.key.toString() === CHECKER_KEY) checker = kv.value.toString();
      const result = resultOf(kv);
      if (result) {
        seen.add(keyOf(result.service, result.endpoint));
        this.#take(result);
      }
    }
    for (const [key, result] of this.#published) if (!seen.has(key)) this.#drop(key, result);
    this.#seeChecker(checker);
    return Number(response.header.revision);
  }

  #watch(from: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const watcher = this.#options.client.watch().prefix(HEALTH_PREFIX).startRevision(String(from)).watcher();
      this.#watcher = watcher;
      /*
       * Only our own listeners come off: removeAllListeners() would also take
       * those of a cancel() under way, which then never settles and leaves the
       * watcher in the client, reconnecting for ever.
       */
      const detach = () => {
        watcher.off('data', onData);
        watcher.off('error', end);
        watcher.off('disconnected', end);
        watcher.on('error', () => {});
      };
      const end = (error: unknown) => {
        detach();
        if (this.#watcher === watcher) this.#watcher = undefined;
        void watcher.cancel().catch(() => {});
        reject(error);
      };
      const onData = (response: { events: { type: string; kv: IKeyValue }[] }) => {
        for (const { type, kv } of response.events) {
          const key = kv.key.toString();
          if (key === CHECKER_KEY) {
            this.#seeChecker(type === 'Delete' ? null : kv.value.toString());
            continue;
          }
          if (type === 'Delete') {
            const named = resultNameOf(key);
            const published = named && this.#published.get(named);
            if (named && published) this.#drop(named, published);
            continue;
          }
          const result = resultOf(kv);
          if (result) this.#take(result);
        }
      };
      watcher.on('data', onData);
      watcher.on('error', end);
      watcher.on('disconnected', end);
      this.#endWatch = () => {
        detach();
        resolve();
      };
    });
  }

  /** A published result applied here: a flip of a backend this node has is a 'change', as a local probe's would be. */
  #take(result: PublishedHealth): void {
    const key = keyOf(result.service, result.endpoint);
    const target = this.#targets.get(key);
    const before = target ? this.#statusOf(target) : undefined;
    const previous = this.#published.get(key);
    if (previous && previous.revision >= result.revision) return;
    this.#published.set(key, result);
    if (target && before && (before.up !== result.up || before.pending)) this.emit('change', this.#statusOf(target));
  }

  #drop(key: string, result: PublishedHealth): void {
    this.#published.delete(key);
    const target = this.#targets.get(key);
    if (target && result.up !== this.isUp(target.service, target.endpoint)) this.emit('change', this.#statusOf(target));
  }

  #seeChecker(checker: string | null): void {
    if (checker !== this.#checker) this.#options.log('info', `fleet health: ${checker === null ? 'no node checks' : `checked by ${checker}`}`);
    this.#checker = checker;
    if (checker === null) void this.#campaign();
    /* Another node holds the key: this node's lease no longer makes it the checker. */
    if (checker !== null && checker !== this.#options.node && this.#lease) this.#resign(`${checker} checks now`);
  }

  /* ---- the checker's role: campaign, check, publish ---- */

  #campaigning = false;
  #campaignTimer: NodeJS.Timeout | undefined;

  /** One turn: if no node checks, try to become the checker; again every retryMs while not the checker. */
  async #campaign(): Promise<void> {
    if (this.#stopped || this.#campaigning) return;
    this.#campaigning = true;
    clearTimeout(this.#campaignTimer);
    try {
      /* A node that refuses the fleet's compatibility record would judge backends for a fleet whose tables it does not share. */
      if (!(this.#options.mayCheck?.() ?? true)) this.#resign("it refuses the fleet's compatibility record");
      else if (!this.#lease) await this.#tryToCheck();
      else await this.#republish();
    } catch (error) {
      if (!this.#stopped) this.#options.log('warn', `fleet health: campaign: ${messageOf(error)}`);
    } finally {
      this.#campaigning = false;
      if (!this.#stopped) {
        this.#campaignTimer = setTimeout(() => void this.#campaign(), this.#options.retryMs);
        this.#campaignTimer.unref();
      }
    }
  }

  async #tryToCheck(): Promise<void> {
    const { client, node } = this.#options;
    const holder = await client.get(CHECKER_KEY).string();
    if (holder !== null || this.#stopped) return;
    const lease = client.lease(this.#options.leaseTtlSeconds, { autoKeepAlive: true });
    lease.on('lost', () => {
      if (this.#lease === lease) this.#resign('its lease was lost (etcd unreachable for longer than the TTL)');
    });
    let id: string;
    let result: Awaited<ReturnType<ReturnType<typeof client.if>['commit']>>;
    try {
      id = await lease.grant();
      result = await client.if(CHECKER_KEY, 'Create', '==', 0).then(client.put(CHECKER_KEY).value(node).lease(id)).commit();
    } catch (error) {
      /* Not elected: the lease goes too (its keep-alive would otherwise run on). */
      void lease.revoke().catch(() => {});
      throw error;
    }
    if (!result.succeeded || this.#stopped) {
      await lease.revoke().catch(() => {});
      return;
    }
    this.#lease = lease;
    this.#leaseId = id;
    this.#checker = node;
    this.#written.clear();
    this.#options.log('info', `fleet health: this node (${node}) checks the fleet's backends from now on`);
    this.#options.local.on('change', this.#onLocalChange);
    this.#options.local.setTargets(this.#localTargets());
    await this.#forgetRemoved();
  }

  #resign(why: string): void {
    const lease = this.#lease;
    if (!lease) return;
    this.#lease = undefined;
    this.#leaseId = undefined;
    this.#options.local.off('change', this.#onLocalChange);
    /* A stopped local checker takes no targets (the agent stopped it with this view). */
    if (!this.#stopped) this.#options.local.setTargets([]);
    void lease.revoke().catch(() => {});
    this.#options.log('warn', `fleet health: this node no longer checks: ${why}`);
  }

  /** The targets the local checker starts from: each as the fleet last saw it, so a takeover flips nothing by itself. */
  #localTargets(): HealthTarget[] {
    return [...this.#targets.values()].map((target) => {
      const published = this.#published.get(keyOf(target.service, target.endpoint));
      return published ? { ...target, initialUp: published.up } : target;
    });
  }

  /** Publishes one result, guarded by the checker's lease: a checker that lost its role writes nothing. */
  async #publish(health: BackendHealth): Promise<void> {
    const leaseId = this.#leaseId;
    if (!leaseId || health.pending || this.#stopped) return;
    const key = keyOf(health.service, health.endpoint);
    if (this.#publishing.has(key)) return;
    this.#publishing.add(key);
    try {
      const { client, node } = this.#options;
      const value = JSON.stringify({
        service: health.service,
        endpoint: health.endpoint,
        up: health.up,
        checker: node,
        observedAt: Date.now(),
        lastError: health.lastError,
        lastLatencyMs: health.lastLatencyMs,
      });
      const result = await client
        .if(CHECKER_KEY, 'Lease', '==', leaseId)
        .then(client.put(healthResultKey(health.service, health.endpoint)).value(value))
        .commit();
      if (result.succeeded) this.#written.set(key, health.up);
      else this.#resign('the checker key is no longer on its lease');
    } catch (error) {
      /* Not published: the next turn's republish tries again. */
      if (!this.#stopped) this.#options.log('warn', `fleet health: publishing ${health.endpoint} of ${health.service}: ${messageOf(error)}`);
    } finally {
      this.#publishing.delete(key);
    }
  }

  /** Each turn while checking: what the local checker says and the fleet does not yet (a failed write, a first result) is published. */
  async #republish(): Promise<void> {
    const pending = this.#options.local.status().filter((health) => {
      const key = keyOf(health.service, health.endpoint);
      return !health.pending && this.#published.get(key)?.up !== health.up && this.#written.get(key) !== health.up;
    });
    await Promise.all(pending.map((health) => this.#publish(health)));
  }

  /** Results of backends no longer checked go, so a backend added again later starts from its own first check. */
  async #forgetRemoved(): Promise<void> {
    const leaseId = this.#leaseId;
    if (!leaseId) return;
    const stale = [...this.#published].filter(([key]) => !this.#targets.has(key));
    const { client } = this.#options;
    for (const [, result] of stale) {
      await client
        .if(CHECKER_KEY, 'Lease', '==', leaseId)
        .then(client.delete().key(healthResultKey(result.service, result.endpoint)))
        .commit()
        .catch(() => {});
    }
  }
}

/** The keyOf() of a result's etcd key (an endpoint has no '/'; a service name does). */
function resultNameOf(key: string): string | undefined {
  if (!key.startsWith(HEALTH_RESULTS_PREFIX)) return undefined;
  const rest = key.slice(HEALTH_RESULTS_PREFIX.length);
  const slash = rest.lastIndexOf('/');
  return slash < 0 ? undefined : keyOf(rest.slice(0, slash), rest.slice(slash + 1));
}

function resultOf(kv: IKeyValue): PublishedHealth | undefined {
  const key = kv.key.toString();
  if (!key.startsWith(HEALTH_RESULTS_PREFIX)) return undefined;
  try {
    const value = JSON.parse(kv.value.toString()) as Omit<PublishedHealth, 'revision'>;
    if (typeof value.service !== 'string' || typeof value.endpoint !== 'string' || typeof value.up !== 'boolean') return undefined;
    return {
      service: value.service,
      endpoint: value.endpoint,
      up: value.up,
      checker: String(value.checker),
      observedAt: Number(value.observedAt),
      lastError: value.lastError ?? null,
      lastLatencyMs: value.lastLatencyMs ?? null,
      revision: Number(kv.mod_revision),
    };
  } catch {
    return undefined;
  }
}

/** Cancels a watch in etcd, waiting at most waitMs (an etcd that stopped answering does not hold up a stop for ever). */
export async function cancelWithin(watcher: Watcher, waitMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, waitMs);
  });
  await Promise.race([watcher.cancel().catch(() => {}), gaveUp]);
  clearTimeout(timer);
}

function messageOf(error: unknown): string {
  return (error as Error)?.message ?? String(error);
}
