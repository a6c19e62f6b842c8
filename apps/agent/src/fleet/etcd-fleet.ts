/*
 * One desired state for a fleet of nodes, on etcd (issue 16). etcd holds the
 * truth; each node's SQLite store is its local copy, so every reader, the
 * reconciler and the single-node path stay as they are.
 *
 * Apply: list desired/ (the whole state at revision L: what the list lacks is
 * deleted locally), then watch from L+1, each batch of events applied through
 * the same store transaction and targeted reconcile as a local change. After
 * a disconnect the watch resumes from the last revision applied + 1; after a
 * compaction (or any watch error) the node lists again. Never "from now": a
 * gap would lose a change for good.
 *
 * Write: the caller computed the touched documents (services, users, API
 * tokens) on its local copy (a dry run) and took the mod_revision of each key
 * the change was judged on (baseOf): the keys it writes, and any it only read
 * for a rule (the other admins, when one stops being admin). One txn puts
 * them if every such key is still at that revision (an absent key: version
 * 0), with the audit entries and the head. A failed compare is CONFLICT:
 * another writer got there first, nothing changed. Users and tokens go this
 * one way too: there is no second write path.
 *
 * Compatibility: the first node writes the record (create-if-absent); a node
 * whose own differs applies nothing and says why (refused), since it would
 * send a moved flow to another backend than its peers.
 *
 * Unreachable: the node keeps forwarding on its last applied state and
 * refuses changes (UNAVAILABLE); the run loop retries and converges on return.
 */
import {
  type FleetCompat,
  type FleetNode,
  type FleetNodeTraffic,
  type FleetStatus,
  type Identity,
  conflict,
  fleetCompatSchema,
  fleetNodeSchema,
  unavailable,
} from '@sluice/api';
import { CompareResult, CompareTarget, Etcd3, type ICompare, type IKeyValue, type IOptions, type IRequestOp, type Lease, type Watcher } from 'etcd3';
import type { AuditRecord } from '../store/index.js';
import { type DesiredBatch, batchSize, describeKey, documentTexts, emptyBatch, readDocument } from './desired-batch.js';
import { AUDIT_PREFIX, COMPAT_KEY, DESIRED_PREFIX, HEAD_KEY, NODES_PREFIX, desiredKeyOf, nodeKey } from './fleet-keys.js';
import { FleetHealth, type LocalHealth, cancelWithin } from './fleet-health.js';
import { describeStoreError } from './store-check.js';
import { type StoreCredentials, storeClientOptions } from './store-client.js';

/** An audit entry shared through the fleet: its key there makes a second copy of it a no-op. */
export interface SharedAudit {
  key: string;
  at: number;
  actor: Pick<Identity, 'user' | 'role'>;
  record: AuditRecord;
}

/** Where the fleet's state lands on this node (the agent: its store and reconciler). */
export interface FleetSink {
  /** The whole desired state from a list: services, users and tokens it lacks go. */
  replaceAll(state: DesiredBatch, audit: SharedAudit[]): void;
  /** One batch of watch events (undefined: the document was deleted). */
  apply(batch: DesiredBatch, audit: SharedAudit[]): void;
  /** For the registration: do the maps hold what was applied, does the node announce, what it forwards. */
  health(): { reconciled: boolean; reason: string | null; announcing: boolean | null; traffic: FleetNodeTraffic | null };
}

/** One change for the fleet, computed on the local copy (operations/agent.ts). */
export interface FleetWrite {
  /** The documents it writes (undefined: deletes). */
  batch: DesiredBatch;
  /** Every key it was judged on, at its mod_revision in the local copy (null: absent), from baseOf: the written keys and any it only read. */
  base: Map<string, string | null>;
  /** Prefixes that must hold no key at all (the first admin: no user yet, anywhere in the fleet). */
  absent?: string[];
  audit: Omit<SharedAudit, 'key'>[];
}

export interface EtcdFleetOptions extends StoreCredentials {
  /** This node's name in the fleet (its registration key). */
  node: string;
  version: string;
  compat: FleetCompat;
  /** A call to etcd that takes longer fails (UNAVAILABLE for a change). */
  callTimeoutMs?: number;
  /** The registration's lease: a node silent this long is gone from the fleet view. */
  leaseTtlSeconds?: number;
  /** Pause between attempts while the store cannot be reached. */
  retryMs?: number;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
}

/* A change waits this long to see itself applied here (read-your-writes) before it returns anyway: it is stored. */
const READ_OWN_WRITE_MS = 10_000;
const DEFAULT_CALL_TIMEOUT_MS = 2000;
/* 5 s: a dead node leaves the fleet view within seconds, and a busy event loop does not drop a live one. */
const DEFAULT_LEASE_TTL_S = 5;
const DEFAULT_RETRY_MS = 500;
/* The registration is renewed this often even with nothing new, so its health and revision stay fresh. */
const REGISTER_EVERY_MS = 1000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class EtcdFleet {
  readonly #options: EtcdFleetOptions;
  readonly #client: Etcd3;
  readonly #clientOptions: IOptions;
  /**
   * The health view's own client, so each watch has a gRPC stream of its own:
   * etcd3's watch manager matches an answer "created and cancelled at once"
   * (a start revision compacted away) to the first of its watchers still
   * without an id, which with two watchers on one stream can be the other one;
   * the stray answer then throws "Failed to find watcher" (fleet-outage).
   */
  #healthClient: Etcd3 | undefined;
  #sink: FleetSink | undefined;
  /** The mod_revision of each document's key in the local copy: what a change's compare is based on. */
  readonly #known = new Map<string, string>();
  #applied = 0;
  #reachable = false;
  #error: string | null = null;
  #refused: string | null = null;
  #stopped = false;
  #watcher: Watcher | undefined;
  /** Takes the run loop's listeners off the current watcher (stop(): they must not act on the cancel). */
  #detachWatch: (() => void) | undefined;
  #lease: Lease | undefined;
  #registerTimer: NodeJS.Timeout | undefined;
  readonly #waiters = new Set<{ revision: number; resolve: () => void }>();
  /** The fleet's one health view (fleet-health.ts), once the agent asked for it. */
  #health: FleetHealth | undefined;
  #firstApplied: (() => void) | undefined;
  #firstList: Promise<void> | undefined;

  constructor(options: EtcdFleetOptions) {
    this.#options = options;
    const clientOptions = storeClientOptions(options, options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS);
    this.#clientOptions = clientOptions;
    this.#client = new Etcd3(clientOptions);
  }

  get display(): string {
    return this.#options.address.display;
  }

  get node(): string {
    return this.#options.node;
  }

  /**
   * The fleet's one health view over this node's own checker: the node checks
   * only while it is the elected checker, and applies the published results.
   * Started by the run loop once the compatibility record matches: a node that
   * refuses it neither checks for the fleet nor applies its results.
   */
  shareHealth(local: LocalHealth): FleetHealth {
    this.#healthClient ??= new Etcd3(this.#clientOptions);
    this.#health ??= new FleetHealth({
      client: this.#healthClient,
      node: this.#options.node,
      local,
      leaseTtlSeconds: this.#options.leaseTtlSeconds ?? DEFAULT_LEASE_TTL_S,
      retryMs: this.#options.retryMs ?? DEFAULT_RETRY_MS,
      mayCheck: () => this.#refused === null,
      cancelWaitMs: this.#options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS,
      log: this.#options.log,
    });
    return this.#health;
  }

  /** The fleet revision this node's local copy holds. */
  get appliedRevision(): number {
    return this.#applied;
  }

  /**
   * Starts applying the fleet into `sink`; resolves once the first list is
   * applied, or after waitMs (the node then runs on its last local copy, and
   * the loop goes on trying).
   */
  async start(sink: FleetSink, waitMs: number): Promise<void> {
    this.#sink = sink;
    const first = new Promise<void>((resolve) => (this.#firstApplied = resolve));
    this.#firstList = first;
    void this.#run();
    this.#registerTimer = setInterval(() => void this.#register(), REGISTER_EVERY_MS);
    this.#registerTimer.unref();
    await Promise.race([first, sleep(waitMs)]);
    if (this.#applied === 0)
      this.#options.log('warn', `fleet store ${this.display}: not applied yet (${this.#error ?? this.#refused ?? 'no answer'}); forwarding on the local copy`);
  }

  /** Resolves once this node has applied a list of the fleet's state (at once if it has; never after a stop before one). */
  firstApplied(): Promise<void> {
    return this.#applied > 0 || !this.#firstList ? Promise.resolve() : this.#firstList;
  }

  /** Why a change cannot go through the fleet now; null when it can. */
  refusal(): string | null {
    if (this.#refused) return `this node applies nothing from the fleet: ${this.#refused}`;
    if (!this.#reachable) return `the fleet store ${this.display} cannot be reached or read${this.#error ? ` (${this.#error})` : ''}`;
    return null;
  }

  /** The revisions the local copy of these keys is based on, taken with the dry run (synchronously). */
  baseOf(keys: Iterable<string>): Map<string, string | null> {
    return new Map([...keys].map((key) => [key, this.#known.get(key) ?? null]));
  }

  /**
   * Writes the change's documents (undefined: delete) in one txn guarded by
   * the base revisions of the keys it was judged on (and the prefixes that
   * must be empty), with the audit entries and the head; then waits until
   * this node has applied it. Returns the revision of the change.
   */
  async write(change: FleetWrite): Promise<number> {
    const refusal = this.refusal();
    if (refusal) throw unavailable(`${refusal}; nothing was changed`, { store: this.display });
    const texts = documentTexts(change.batch);
    if (texts.size === 0) throw new Error('fleet write: no document to write');
    const unguarded = [...texts.keys()].filter((key) => !change.base.has(key));
    if (unguarded.length > 0) throw new Error(`fleet write: ${unguarded.join(', ')} written without the revision it was based on`);
    /* Each key still at the revision the change was based on; a document new to the copy must still be absent. */
    const compare: ICompare[] = [...change.base].map(([key, revision]) =>
      revision === null
        ? { key: Buffer.from(key), result: CompareResult.Equal, target: CompareTarget.Version, version: 0 }
        : { key: Buffer.from(key), result: CompareResult.Equal, target: CompareTarget.Mod, mod_revision: revision },
    );
    /* A range compare: every key in [prefix, its end) has version 0, which an empty range has too (etcd's applyCompare). */
    for (const prefix of change.absent ?? [])
      compare.push({
        key: Buffer.from(prefix),
        range_end: prefixEnd(prefix),
        result: CompareResult.Equal,
        target: CompareTarget.Version,
        version: 0,
      } as ICompare);
    const stamp = `${Date.now().toString().padStart(15, '0')}-${this.#options.node}-${Math.random().toString(16).slice(2, 10)}`;
    const put = (key: string, value: string): IRequestOp => ({ request_put: { key: Buffer.from(key), value: Buffer.from(value) } });
    const written = [...texts.keys()].map(describeKey);
    const success: IRequestOp[] = [
      ...[...texts].map(([key, text]) => (text === undefined ? { request_delete_range: { key: Buffer.from(key) } } : put(key, text))),
      ...change.audit.map((entry, i) => put(`${AUDIT_PREFIX}${stamp}-${i}`, JSON.stringify(entry))),
      put(HEAD_KEY, JSON.stringify({ node: this.#options.node, at: Date.now(), changed: written })),
    ];
    let result: { succeeded: boolean; header: { revision: string } };
    try {
      result = await this.#client.kv.txn({ compare, success, failure: [] });
    } catch (error) {
      this.#unreachable(error);
      throw unavailable(`the fleet store ${this.display} did not take the change (${messageOf(error)}); nothing was changed`, { store: this.display });
    }
    if (!result.succeeded) {
      const also = (change.absent ?? []).length > 0 ? ' (or a first user was created meanwhile)' : '';
      throw conflict(
        `${written.join(', ')} changed in the fleet since this node read it${also} (another operator or node wrote first); nothing was changed: look again and retry`,
        conflictDetails(texts.keys()),
      );
    }
    const revision = Number(result.header.revision);
    await this.#waitApplied(revision, READ_OWN_WRITE_MS);
    return revision;
  }

  /** The fleet view: every registered node, the fleet's revision, how many nodes hold it. */
  async status(): Promise<FleetStatus> {
    const own = {
      store: this.display,
      node: this.#options.node,
      appliedRevision: this.#applied,
      refused: this.#refused,
      checker: this.#health?.checker ?? null,
    };
    try {
      const [head, nodes] = await Promise.all([this.#client.getAll().prefix(HEAD_KEY).exec(), this.#client.getAll().prefix(NODES_PREFIX).exec()]);
      const headKv = head.kvs.find((kv) => kv.key.toString() === HEAD_KEY);
      /* No change yet: revision 0, which every node holds. */
      const revision = headKv ? Number(headKv.mod_revision) : 0;
      const registered = nodes.kvs.flatMap((kv) => {
        const parsed = fleetNodeSchema.safeParse(safeJson(kv.value.toString()));
        return parsed.success ? [parsed.data] : [];
      });
      registered.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
      const converged = registered.filter((n) => n.healthy && n.appliedRevision >= revision).length;
      /* Reachable as the run loop says (what a change is judged by), not only because these reads went through. */
      return { ...own, reachable: this.#reachable, error: this.#error, revision, nodes: registered, converged };
    } catch (error) {
      /* The run loop alone decides reachability (a view that failed once must not refuse changes). */
      return { ...own, reachable: false, error: describeStoreError(error, this.#options).message, revision: null, nodes: [], converged: 0 };
    }
  }

  /** Reachable and applying, for node.status without a round trip. */
  get reachable(): boolean {
    return this.#reachable;
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#registerTimer);
    for (const waiter of this.#waiters) waiter.resolve();
    this.#waiters.clear();
    /* Both watches ended in etcd before the client closes (a watcher left in it reconnects for ever); bounded, etcd may be going too. */
    const watcher = this.#watcher;
    this.#watcher = undefined;
    this.#detachWatch?.();
    await Promise.all([watcher && cancelWithin(watcher, this.#options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS), this.#health?.release()]);
    /* The registration goes at once (a clean stop), not after the lease's TTL. */
    await this.#lease?.revoke().catch(() => {});
    this.#client.close();
    this.#healthClient?.close();
  }

  /* ---- the run loop: compatibility, list, watch; again after a break ---- */

  async #run(): Promise<void> {
    let needList = true;
    while (!this.#stopped) {
      try {
        await this.#checkCompat();
        if (this.#refused) {
          await sleep(this.#options.retryMs ?? DEFAULT_RETRY_MS);
          continue;
        }
        this.#health?.start();
        if (needList) {
          await this.#list();
          needList = false;
        }
        const ended = await this.#watch();
        if (ended === 'relist') needList = true;
      } catch (error) {
        if (this.#stopped) return;
        this.#unreachable(error);
      }
      if (!this.#stopped) await sleep(this.#options.retryMs ?? DEFAULT_RETRY_MS);
    }
  }

  async #checkCompat(): Promise<void> {
    const mine = this.#options.compat;
    const result = await this.#client
      .if(COMPAT_KEY, 'Version', '==', 0)
      .then(this.#client.put(COMPAT_KEY).value(JSON.stringify(mine)))
      .else(this.#client.get(COMPAT_KEY))
      .commit();
    this.#reachedStore();
    if (result.succeeded) {
      this.#options.log('info', `fleet store ${this.display}: wrote the compatibility record ${JSON.stringify(mine)}`);
      this.#setRefused(null);
      return;
    }
    const kv = result.responses[0]?.response_range?.kvs?.[0];
    const parsed = fleetCompatSchema.safeParse(safeJson(kv?.value.toString() ?? ''));
    if (!parsed.success) {
      this.#setRefused(`the fleet's compatibility record (${COMPAT_KEY}) is unreadable: ${kv?.value.toString() ?? '(missing)'}`);
      return;
    }
    this.#setRefused(compatDifference(parsed.data, mine));
  }

  #setRefused(reason: string | null): void {
    if (reason !== this.#refused)
      this.#options.log(reason ? 'error' : 'info', reason ? `fleet: refusing to apply: ${reason}` : 'fleet: compatibility record matches');
    this.#refused = reason;
  }

  /** The whole desired state at revision L, applied as a replacement; the watch goes on from L + 1. */
  async #list(): Promise<void> {
    const response = await this.#client.getAll().prefix(DESIRED_PREFIX).exec();
    this.#reachedStore();
    const state = emptyBatch();
    const revisions = new Map<string, string>();
    const audit: SharedAudit[] = [];
    for (const kv of response.kvs) {
      const key = kv.key.toString();
      if (readDocument(state, key, kv.value.toString())) revisions.set(key, kv.mod_revision);
      else if (desiredKeyOf(key).kind === 'audit') audit.push(sharedAuditOf(kv));
    }
    this.#sink!.replaceAll(state, audit);
    this.#known.clear();
    for (const [key, revision] of revisions) this.#known.set(key, revision);
    this.#appliedUpTo(Number(response.header.revision));
    this.#options.log(
      'info',
      `fleet store ${this.display}: listed ${state.services.size} services, ${state.users.size} users, ${state.tokens.size} tokens at revision ${this.#applied}`,
    );
  }

  /** Watches desired/ from the revision after the one applied; resolves when the watch breaks: 'relist' after a compaction or error. */
  #watch(): Promise<'relist' | 'resume'> {
    return new Promise((resolve) => {
      const watcher = this.#client
        .watch()
        .prefix(DESIRED_PREFIX)
        .startRevision(String(this.#applied + 1))
        .watcher();
      this.#watcher = watcher;
      /*
       * Only our own listeners come off: removeAllListeners() would also take
       * those of a cancel() under way (stop()'s), which then never settles.
       * Errors after the end must not crash the process.
       */
      const detach = () => {
        watcher.off('connected', onConnected);
        watcher.off('data', onData);
        watcher.off('error', onError);
        watcher.off('disconnected', onDisconnected);
        watcher.on('error', () => {});
      };
      this.#detachWatch = () => {
        detach();
        resolve('resume');
      };
      const end = (how: 'relist' | 'resume', why: unknown) => {
        detach();
        void watcher.cancel().catch(() => {});
        if (this.#watcher === watcher) this.#watcher = undefined;
        if (!this.#stopped) {
          /* etcd cancels a watch whose start revision was compacted away (and says little more). */
          if (how === 'relist') this.#options.log('warn', `fleet watch ended (${messageOf(why)}; a compaction past revision ${this.#applied}?): listing again`);
          else this.#unreachable(why);
        }
        resolve(how);
      };
      const onConnected = () => this.#reachedStore();
      const onData = (response: { events: { type: string; kv: IKeyValue }[] }) => {
        if (response.events.length === 0) return;
        try {
          this.#applyEvents(response.events);
        } catch (error) {
          end('relist', error);
        }
      };
      /* A compacted start revision (or any cancel): what happened in the gap is unknown, so list again. */
      const onError = (error: unknown) => end('relist', error);
      const onDisconnected = (error: unknown) => end('resume', error);
      watcher.on('connected', onConnected);
      watcher.on('data', onData);
      watcher.on('error', onError);
      watcher.on('disconnected', onDisconnected);
    });
  }

  #applyEvents(events: { type: string; kv: IKeyValue }[]): void {
    const batch = emptyBatch();
    const revisions = new Map<string, string | null>();
    const audit: SharedAudit[] = [];
    let last = this.#applied;
    for (const { type, kv } of events) {
      last = Math.max(last, Number(kv.mod_revision));
      const key = kv.key.toString();
      const deleted = type === 'Delete';
      if (readDocument(batch, key, deleted ? undefined : kv.value.toString())) revisions.set(key, deleted ? null : kv.mod_revision);
      else if (desiredKeyOf(key).kind === 'audit' && type === 'Put') audit.push(sharedAuditOf(kv));
    }
    if (batchSize(batch) > 0 || audit.length > 0) this.#sink!.apply(batch, audit);
    for (const [key, revision] of revisions) {
      if (revision === null) this.#known.delete(key);
      else this.#known.set(key, revision);
    }
    this.#appliedUpTo(last);
  }

  #appliedUpTo(revision: number): void {
    if (revision > this.#applied) this.#applied = revision;
    for (const waiter of this.#waiters) if (waiter.revision <= this.#applied) waiter.resolve();
    this.#firstApplied?.();
    this.#firstApplied = undefined;
    void this.#register();
  }

  #waitApplied(revision: number, timeoutMs: number): Promise<void> {
    if (this.#applied >= revision || this.#stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = {
        revision,
        resolve: () => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.#options.log('warn', `fleet: change stored at revision ${revision}, not yet applied here after ${timeoutMs} ms (applied ${this.#applied})`);
        waiter.resolve();
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  /* ---- reachability and the registration ---- */

  #reachedStore(): void {
    if (!this.#reachable) this.#options.log('info', `fleet store ${this.display}: reachable`);
    this.#reachable = true;
    this.#error = null;
  }

  #unreachable(error: unknown): void {
    const message = describeStoreError(error, this.#options).message;
    if (this.#reachable || this.#error !== message) this.#options.log('warn', `fleet store ${this.display}: ${message}`);
    this.#reachable = false;
    this.#error = message;
  }

  #registering = false;
  /** Asked again while a put was in flight: put once more after it, so a new applied revision shows at once. */
  #registerAgain = false;

  /** Puts this node's registration under its lease (a new lease if the last one was lost). */
  async #register(): Promise<void> {
    if (this.#stopped || !this.#sink) return;
    if (this.#registering) {
      this.#registerAgain = true;
      return;
    }
    this.#registering = true;
    this.#registerAgain = false;
    try {
      if (!this.#lease) {
        const lease = this.#client.lease(this.#options.leaseTtlSeconds ?? DEFAULT_LEASE_TTL_S);
        lease.on('lost', () => {
          if (this.#lease === lease) this.#lease = undefined;
        });
        this.#lease = lease;
      }
      const health = this.#sink.health();
      const reason = this.#refused ?? health.reason;
      const registration: FleetNode = {
        node: this.#options.node,
        version: this.#options.version,
        appliedRevision: this.#applied,
        healthy: reason === null && health.reconciled,
        reason,
        announcing: health.announcing,
        compat: this.#options.compat,
        traffic: health.traffic,
        updatedAt: Date.now(),
      };
      await this.#lease.put(nodeKey(this.#options.node)).value(JSON.stringify(registration));
    } catch (error) {
      /* A lease that cannot be renewed is given up: the next turn grants a new one. */
      const lease = this.#lease;
      this.#lease = undefined;
      void lease?.revoke().catch(() => {});
      /* Only logged: the run loop's watch says whether the store is reachable. */
      if (!this.#stopped && this.#reachable) this.#options.log('warn', `fleet: registering node ${this.#options.node}: ${messageOf(error)}`);
    } finally {
      this.#registering = false;
    }
    if (this.#registerAgain) void this.#register();
  }
}

/** Why `mine` must not apply the fleet's state, or null when it may. */
export function compatDifference(fleet: FleetCompat, mine: FleetCompat): string | null {
  const differences: string[] = [];
  if (fleet.hashSeed !== mine.hashSeed) differences.push(`hash seed ${mine.hashSeed} (the fleet's: ${fleet.hashSeed})`);
  if (fleet.lookupTableSize !== mine.lookupTableSize) differences.push(`lookup table size ${mine.lookupTableSize} (the fleet's: ${fleet.lookupTableSize})`);
  if (fleet.selection !== mine.selection) differences.push(`backend selection version ${mine.selection} (the fleet's: ${fleet.selection})`);
  if (differences.length === 0) return null;
  return `this node has ${differences.join(', ')}: it would send a flow moved to it to another backend than the other nodes do; run it with the fleet's settings`;
}

/** The key just past every key that starts with `prefix` (etcd's range end of a prefix). */
function prefixEnd(prefix: string): Buffer {
  const end = Buffer.from(prefix);
  end[end.length - 1] = end[end.length - 1]! + 1;
  return end;
}

/** What a CONFLICT names, by kind: { service: "...", user: "..." }. */
function conflictDetails(keys: Iterable<string>): Record<string, string> {
  const names: Record<string, string[]> = {};
  for (const key of keys) {
    const desired = desiredKeyOf(key);
    if ('name' in desired) (names[desired.kind] ??= []).push(desired.name);
  }
  return Object.fromEntries(Object.entries(names).map(([kind, list]) => [kind, list.join(', ')]));
}

function sharedAuditOf(kv: IKeyValue): SharedAudit {
  const key = kv.key.toString();
  const entry = safeJson(kv.value.toString()) as Omit<SharedAudit, 'key'> | undefined;
  if (!entry || typeof entry.at !== 'number' || !entry.actor || !entry.record) throw new Error(`fleet audit entry ${key} is not an audit entry`);
  return { key, at: entry.at, actor: { user: String(entry.actor.user), role: entry.actor.role }, record: entry.record };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function messageOf(error: unknown): string {
  return (error as Error)?.message ?? String(error);
}
