/*
 * The agent: the domain object the API calls. It owns the data plane and
 * keeps its maps equal to the desired state in the store; the store, the
 * reconciler, the data plane and the runtime parts are private, and the
 * operation modules (services, backends, ...: one per area, the contract's
 * SluiceBackend) are its public face. Every change goes one way:
 *   validate -> store transaction (with its audit rows) -> reconcile
 * and the transaction commits only if the reconcile succeeded. If the
 * reconcile fails part-way, the store rolls back and the previous state is
 * applied again, so a refused or failed change leaves store and maps as they were.
 */
import { dirname, join } from 'node:path';
import {
  type AgentInfo,
  type AgentInterface,
  type DataplaneConfig,
  type Identity,
  type NodeCheck,
  type NodeRoleInput,
  type NodeStatus,
  type SluiceBackend,
  type StatsSample,
  type StatsTotals,
  type VrrpStatus,
  type FleetCompat,
  SYSTEM_ACTOR_NAME,
  SluiceError,
  addressFamily,
  isSluiceError,
  formatEndpoint,
  unavailable,
  isTunnelMode,
  serviceName,
} from '@sluice/api';
import type { Dataplane } from '@sluice/dataplane';
import { DataplaneError, FlowEventReader, SluiceForwardingMode } from '@sluice/dataplane';
import { FlowSync } from '../sync/flow-sync.js';
import { VipClaimTracker } from '../sync/vip-claim.js';
import type { YieldFile } from '../sync/yield-file.js';
import { hashSeedOfFlowSeed } from '@sluice/dataplane/lookup';
import { ReconcileError, Reconciler, type ReconcilerLimits } from '../reconcile/reconciler.js';
import { type AuditRecord, type BackendRow, Store } from '../store/index.js';
import { Authenticator, type AuthenticatorOptions } from '../auth/authenticator.js';
import { ensureAdminTokenFile } from '../auth/admin-token-file.js';
import { ensureFirstAdmin } from '../auth/first-admin.js';
import { type IdentityChange, type IdentityCommit, type IdentityCommitOptions, localIdentityCommit } from '../auth/identity-commit.js';
import { type FlowFilter, awaitFlowIndex, type listFlows } from '../conntrack/index.js';
import type { EventLoopDelay, MetricsServer, MetricsServerOptions, MetricsSnapshot } from '../metrics/index.js';
import {
  type BackendSignalSource,
  LiveFeed,
  type Placement,
  type RatePoint,
  type StatsScope,
  polledReadings,
  readCounters,
  readTotals,
  samplerReadings,
} from '../stats/index.js';
import { type DataplaneOwnerOptions, finishDataplaneStart, startDataplane, teardownDataplane } from './dataplane-owner.js';
import { log } from '../log.js';
import { NextHopNeighbours, type NextHopStatus } from '../forwarding/next-hop-neighbours.js';
import { checkForwardingChange } from '../forwarding/forwarding-rules.js';
import {
  DEFAULT_TUNNEL_OPTIONS,
  type TunnelOptions,
  type TunnelSources,
  describeTunnelSources,
  resolveTunnelSources,
  tunnelSettingsEntry,
} from '../forwarding/tunnel-settings.js';
import { type BackendHealthStatus, type HealthSource, type HealthTarget, type RuntimeParts, createRuntimeParts } from './runtime-parts.js';
import { auditOperations } from './audit.js';
import { authOperations } from './auth.js';
import { backendHostOperations } from './backend-hosts.js';
import { backendOperations } from './backends.js';
import { configOperations, importConfig } from './config.js';
import { connectionOperations } from './connections.js';
import { healthOperations } from './health.js';
import { serviceOperations } from './services.js';
import { metricsSnapshot, statsOperations } from './stats.js';
import { ForwardingWatch, drainPhase } from './drain-progress.js';
import { nodeOperations } from './node.js';
import { dataplaneBuildOf, nodeLossRisks } from './node-compat.js';
import type { EtcdFleet, FleetSink } from '../fleet/etcd-fleet.js';
import { BACKEND_SELECTION_VERSION } from '../fleet/selection-version.js';
import { type DesiredBatch, batchSize, keysOf } from '../fleet/desired-batch.js';
import { USERS_PREFIX } from '../fleet/fleet-keys.js';
import { applyIdentities, identityChanges, identitySnapshot } from '../fleet/identity-copy.js';
import { type BgpSettings, Speaker, type VipRoutes, VrrpRoleState, nodeCannotServe, vipsToAnnounce } from '../announce/index.js';

export interface AgentOptions extends DataplaneOwnerOptions {
  /** SQLite store directory, or ':memory:' (tests). */
  dataDir: string;
  /** Detach and unpin on exit; otherwise the data plane outlives the agent. */
  detachOnExit: boolean;
  maxBackendsPerService: number;
  /** A data plane the caller loaded (tests keep its maps to look at them); the agent owns it from then on. */
  dataplane?: Dataplane;
  /** Runtime parts to use instead of the real ones (tests: their own health source, no timers). */
  parts?: RuntimeParts;
  /** What agent.info reports as the version. */
  version?: string;
  /** The login throttle's clock and limits (tests step the clock). */
  authenticator?: AuthenticatorOptions;
  /** How often drain timeouts are checked. */
  drainTickMs?: number;
  /** How often the whole state is read from the store again and reconciled (DEFAULT_FULL_RECONCILE_MS). */
  fullReconcileMs?: number;
  /** Told after a drain timed out and its flows were ended and recorded (tests await it). */
  onDrainExpired?: (expired: DrainExpired) => void;
  /** Outer sources and GUE port of the ipip and gue modes; unset: DEFAULT_TUNNEL_OPTIONS. */
  tunnel?: TunnelOptions;
  /** How often the next hops of dsr, ipip and gue backends are checked (forwarding/next-hop-neighbours.ts). */
  neighbourRefreshMs?: number;
  /** Announce the VIPs over BGP through a BIRD this agent runs (announce/); its files go in runDir. */
  bgp?: { settings: BgpSettings; runDir: string };
  /** Flow sync with the active/standby peer (sync/): this node's listener, the peer's, and the shared key. */
  sync?: {
    listen: { address: string; port: number };
    peer: { address: string; port: number };
    key: Buffer;
    refreshIntervalMs?: number;
    /** keepalived's track_file for the split-brain yield (sync/yield-file.ts). */
    yieldFile?: YieldFile;
  };
  /** The fleet's store (fleet/): the desired state comes from there, and changes go there; the SQLite store is its local copy. */
  fleet?: { connect: (compat: FleetCompat) => EtcdFleet; startWaitMs?: number };
}

export interface DrainExpired {
  service: string;
  endpoint: string;
  flowsEnded: number;
}

/** What ending a backend's flows did: open connections cut, closed entries removed. */
export interface EndedFlows {
  open: number;
  closed: number;
}

/** The system's own entries in the audit log: first-start import, drain expiry, health transitions, agent starts. */
const SYSTEM_ACTOR: Identity = { user: SYSTEM_ACTOR_NAME, role: 'admin', source: 'token' };

const DEFAULT_DRAIN_TICK_MS = 250;
/*
 * A change reconciles only the services it touched; the whole state is read
 * from SQLite again and reconciled this often too, so that anything the
 * targeted path could miss is put right within a minute (a safety net: a test
 * proves both paths leave the same maps). About 40 ms at 256 services.
 */
const DEFAULT_FULL_RECONCILE_MS = 60_000;
/* Both XDP modes, asked in turn: an interface holds a program in at most one of them. */
const XDP_MODES = ['native', 'skb'] as const;
/* At start a fleet node waits this long for the fleet's state before it runs on its local copy (and keeps trying). */
const DEFAULT_FLEET_START_WAIT_MS = 5000;
/* A failed end-flows of removed backends (a full table scan) is retried this much later, not every tick. */
const REMOVAL_RETRY_MS = 5000;

/** A backend as the data plane has it: the facts a view shows beside the store's row. */
export interface BackendFacts {
  dataplaneId: number | null;
  activeFlows: number;
  health: BackendHealthStatus | undefined;
  up: boolean;
}

export class Agent implements SluiceBackend {
  readonly startedAt = Date.now();
  readonly #dataplane: Dataplane;
  readonly #reconciler: Reconciler;
  readonly #store: Store;
  readonly #parts: RuntimeParts;
  /** Whose up/down the agent applies: its own checker's, or in a fleet the published one (fleet/fleet-health.ts). */
  readonly #health: HealthSource;
  /** Checks bearer tokens and logins (the socket server asks it who is calling). */
  readonly authenticator: Authenticator;

  /* ---- the operations: the contract's procedures, one module per area ---- */
  readonly agent: SluiceBackend['agent'];
  readonly services: SluiceBackend['services'];
  readonly backends: SluiceBackend['backends'];
  readonly backendHosts: SluiceBackend['backendHosts'];
  readonly connections: SluiceBackend['connections'];
  readonly stats: SluiceBackend['stats'];
  readonly health: SluiceBackend['health'];
  readonly audit: SluiceBackend['audit'];
  readonly auth: SluiceBackend['auth'];
  readonly config: SluiceBackend['config'];
  readonly node: SluiceBackend['node'];
  #drainTimer: NodeJS.Timeout | undefined;
  #fullReconcileTimer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** A pass of #expireDrains is running (it awaits the conntrack worker). */
  #expiringDrains = false;
  /* The drains with a timeout as of a change count (changeCount()): the timer asks the store again only after a change. */
  #pendingDrains: { changes: number; backends: BackendRow[] } | undefined;
  /** Backend ids whose end-flows job is running: a removed one is freed when its job ends. */
  readonly #endingIds = new Set<number>();
  /** After a failed end-flows of removed backends, when to try again. */
  #retryRemovalsAt = 0;

  readonly #options: AgentOptions;
  /** The tunnel settings in force (the tunnel_settings map holds them). */
  #tunnel!: TunnelSources;
  readonly #neighbours: NextHopNeighbours;

  /* ---- announcing (announce/): the speaker and the facts its rule reads ---- */
  #speaker: Speaker | undefined;
  #announceTimer: NodeJS.Timeout | undefined;
  /** Set by the process once the API serves (markReady). */
  #ready = false;
  /** The last reconcile succeeded: the maps hold the store's services. */
  #reconciled = true;
  /** Service changes applied to the maps (commits, health flips, a fleet's changes): part of changeCount(). */
  #servicesApplied = 0;
  #drainingSince: number | null = null;
  /** The node drain's timeout, for node.status (progress toward it survives a console reload). */
  #drainTimeoutMs: number | null = null;
  readonly #forwarding = new ForwardingWatch();
  #withheld: string | null = 'the agent is not ready yet';
  /** The last node.check failed (its verdict is logged when it changes). */
  #checkFailing = false;
  /** The VRRP role keepalived reports (issue 13). */
  readonly #vrrp = new VrrpRoleState();
  /** Flow sync with the pair's peer (issue 13), and the program's flow events it streams. */
  #sync: FlowSync | undefined;
  #flowEvents: FlowEventReader | undefined;
  /** What every node of the fleet must share (node.status compat), fixed at start. */
  readonly #compat: NodeStatus['compat'];
  /** The fleet's store, when the desired state is shared (--store etcd://...). */
  #fleet: EtcdFleet | undefined;
  /** Per user, the session a fleet change under way must not end here (a password changed by that session). */
  readonly #keptSessions = new Map<string, string>();
  /** stats.live: one reading a second for every subscriber, the sampler's when it runs. */
  readonly #live = new LiveFeed(
    (listener) => (this.#parts.stats ? samplerReadings(this.#parts.stats, () => this.placement()) : polledReadings(() => this.totals()))(listener),
    () => this.changeCount(),
  );
  /** How users and tokens change: the auth operations, the authenticator and the first admin all commit through it. */
  readonly #identityCommit: IdentityCommit = (caller, change, options) => this.commitIdentities(caller, change, options);

  private constructor(options: AgentOptions) {
    this.#options = options;
    /* The store first: a bad data directory must fail before anything is attached. */
    const store = (this.#store = new Store(options.dataDir));
    try {
      /* A fresh start's program is verified while the configuration is imported: runAgent attaches it (attachDataplane). */
      this.#dataplane = options.dataplane ?? startDataplane({ ...options, verifyInBackground: true });
    } catch (error) {
      this.#store.close();
      throw error;
    }
    /* The seed the loaded program hashes with, so that the tables match it whoever loaded it. */
    this.#reconciler = new Reconciler(
      this.#dataplane.maps,
      Reconciler.limitsOf(this.#dataplane.maps, options.maxBackendsPerService),
      hashSeedOfFlowSeed(this.#dataplane.tunables().flow_hash_seed),
    );
    this.#reconciler.adopt();
    this.#compat = {
      hashSeed: this.#reconciler.hashSeed,
      lookupTableSize: this.#reconciler.limits.tableSize,
      dataplaneBuild: dataplaneBuildOf(options.objectPath),
    };
    /* After the data plane: the runtime parts read its maps. */
    this.#parts =
      options.parts ??
      createRuntimeParts({
        maps: this.#dataplane.maps,
        ids: () => this.#idsInUse(),
        backendSignals: (id) => this.#sampledSignals(id),
        /* Only beside a data plane the agent attached itself: a test's loaded one sits on no interface. */
        ...(options.dataplane
          ? {}
          : { steering: { objectPath: healthSteerObjectBeside(options.objectPath), interfaces: options.interfaces, tunnel: () => this.#tunnel } }),
      });
    /* In a fleet one elected node checks and every node applies what it publishes; the fleet connects (no I/O yet) here for that. */
    this.#fleet = options.fleet?.connect({
      hashSeed: this.#compat.hashSeed,
      lookupTableSize: this.#compat.lookupTableSize,
      selection: BACKEND_SELECTION_VERSION,
    });
    this.#health = this.#fleet ? this.#fleet.shareHealth(this.#parts.health) : this.#parts.health;
    this.#neighbours = new NextHopNeighbours(this.#parts.network, { log, refreshMs: options.neighbourRefreshMs });
    this.authenticator = new Authenticator(store, options.authenticator, this.#identityCommit);
    this.agent = { info: () => this.#info() };
    this.services = serviceOperations(this, store);
    this.backends = backendOperations(this, store);
    this.backendHosts = backendHostOperations(store);
    this.connections = connectionOperations(this);
    this.stats = statsOperations(this);
    this.health = healthOperations(this, store);
    this.audit = auditOperations(store);
    this.auth = authOperations(store, this.authenticator, this.#identityCommit);
    this.config = configOperations(this, store);
    this.node = nodeOperations(this);
  }

  static async start(options: AgentOptions): Promise<Agent> {
    const agent = new Agent(options);
    try {
      /* Before any reconcile: the checks of ipip and gue services read it. */
      agent.#tunnel = agent.#writeTunnelSettings(options.tunnel ?? DEFAULT_TUNNEL_OPTIONS);
      agent.#warnUnsourcedTunnels();
      /* Targets first: the adopted maps say which backends carry flows, and a backend they lack starts pending. */
      agent.#syncHealthTargets();
      agent.#reconcileStore();
      /* Each health.changes subscriber listens too; the default cap of 10 would warn. */
      agent.#health.setMaxListeners(0);
      agent.#health.on('change', (status: BackendHealthStatus) => {
        log('info', `backend ${status.endpoint} of ${status.service} is ${status.up ? 'up' : 'down'}`);
        agent.#recordHealthChange(status);
        agent.#reconcileStore([status.service]);
      });
      agent.#neighbours.start();
      agent.#parts.conntrack?.start();
      agent.#parts.stats?.start();
      agent.#drainTimer = setInterval(() => void agent.#expireDrains(), options.drainTickMs ?? DEFAULT_DRAIN_TICK_MS);
      agent.#drainTimer.unref();
      agent.#fullReconcileTimer = setInterval(() => {
        agent.#store.services.reloadDesired();
        agent.#reconcileStore();
      }, options.fullReconcileMs ?? DEFAULT_FULL_RECONCILE_MS);
      agent.#fullReconcileTimer.unref();
      if (options.bgp) await agent.#startSpeaker(options.bgp);
      if (options.sync) await agent.#startSync(options.sync);
      if (agent.#fleet) await agent.#fleet.start(agent.#fleetSink(), options.fleet?.startWaitMs ?? DEFAULT_FLEET_START_WAIT_MS);
      agent.recordAudit(SYSTEM_ACTOR, {
        action: 'agent.start',
        target: 'agent',
        before: null,
        after: { version: options.version ?? 'unknown', pid: process.pid, adoptedMaps: agent.#dataplane.adoptedMaps.length, interfaces: options.interfaces },
      });
    } catch (error) {
      agent.stop();
      throw error;
    }
    return agent;
  }

  /**
   * For the stats sampler, each second: with serviceOf, it need not read every
   * backend's entry from the map. Also renews what the sampler's error signals
   * read by id (#sampledSignals), and lets the GC's handshake ledger forget ids
   * no longer in use (a reused id starts from zero, as its counters do).
   */
  #idsInUse(): { services: number[]; backends: number[]; serviceOf: Map<number, number> } {
    const services: number[] = [];
    const backends: number[] = [];
    const serviceOf = new Map<number, number>();
    const placement = this.#reconciler.ids();
    for (const { id, backends: ids } of placement.values()) {
      services.push(id);
      for (const backendId of ids.values()) {
        backends.push(backendId);
        serviceOf.set(backendId, id);
      }
    }
    this.#sampledSignals = this.#backendSignals(placement);
    this.#parts.conntrack?.handshakeFailures.keepOnly(new Set(backends));
    return { services, backends, serviceOf };
  }

  #sampledSignals: BackendSignalSource = () => ({ handshakes: { unanswered: 0, incomplete: 0 }, healthLatencyMs: null, repliesSeen: true });

  /**
   * A backend's error signals the data plane does not count, by id: failed
   * handshakes (the conntrack GC's ledger), the last probe's latency (health),
   * and whether its service's mode (nat) lets replies, and so resets and
   * SYN-ACKs, pass the balancer at all.
   */
  #backendSignals(placement: Placement): BackendSignalSource {
    const names = new Map<number, { service: string; endpoint: string }>();
    for (const [service, { backends }] of placement) for (const [endpoint, id] of backends) names.set(id, { service, endpoint });
    return (id) => {
      const name = names.get(id);
      const mode = name && this.#reconciler.modeOf(name.service);
      return {
        handshakes: this.#parts.conntrack?.handshakeFailures.of(id) ?? { unanswered: 0, incomplete: 0 },
        healthLatencyMs: name ? (this.healthStatus(name.service, name.endpoint)?.lastLatencyMs ?? null) : null,
        repliesSeen: mode === undefined || mode === SluiceForwardingMode.MODE_NAT,
      };
    };
  }

  /** agent.info: the node panel's facts (console) and `sluice node status`'s first lines. */
  #info(): AgentInfo {
    const dataplane = this.#dataplane;
    const options = this.#options;
    const capacity = this.flowTableCapacity;
    return {
      version: options.version ?? 'unknown',
      pid: process.pid,
      startedAt: this.startedAt,
      uptimeMs: Date.now() - this.startedAt,
      interfaces: options.interfaces,
      xdpMode: options.xdpMode,
      attachments: options.interfaces.map((name) => attachmentOf(dataplane, name)),
      dataplane: { objectPath: dataplane.objectPath, buildId: dataplane.buildId, programId: dataplane.programId },
      pinDir: options.pinDir,
      dataDir: options.dataDir,
      adoptedMaps: dataplane.adoptedMaps.length,
      adoptedMapNames: [...dataplane.adoptedMaps],
      flowTable: { capacity, tracked: this.#parts.conntrack?.lastReport?.flows ?? null },
      limits: { ...this.limits, flowTableSize: capacity },
    };
  }

  /* ---- health ---- */

  /** Each backend's last recorded health (absent: pending, or as adopted at start): the "before" of its next entry. */
  readonly #recordedUp = new Map<string, boolean>();

  /* A transition is the system's own audit entry, so charts and the health timeline read it back (audit.events). */
  #recordHealthChange(status: BackendHealthStatus): void {
    const key = `${status.service} ${status.endpoint}`;
    const before = this.#recordedUp.get(key);
    this.#recordedUp.set(key, status.up);
    this.recordAudit(SYSTEM_ACTOR, {
      action: status.up ? 'health.up' : 'health.down',
      target: key,
      before: before === undefined ? null : { up: before },
      after: {
        up: status.up,
        reason: status.up ? `${status.checkType} check passed` : (status.lastError ?? `${status.checkType} check failed`),
        checkType: status.checkType,
        latencyMs: status.lastLatencyMs,
      },
    });
  }

  /**
   * Up as the checker says: a backend of a service without a check is up, a
   * pending one (never checked, not in the maps before) is not. The rows,
   * the header counts and the reconciler all read this one answer.
   */
  isUp = (service: string, endpoint: string): boolean => this.#health.isUp(service, endpoint);

  /** The checker's last result for one backend. */
  healthStatus(service: string, endpoint: string): BackendHealthStatus | undefined {
    return this.#health.statusOf(service, endpoint);
  }

  /**
   * Tells the checker what the store wants checked. A backend new to the
   * checker starts as the maps have it (adopted at start, or serving before
   * its service gained a check) and pending if the maps lack it: so it gets
   * no flow before its first passing check. Runs before each reconcile:
   * for a change, on the services it wrote only (`services`), so that its
   * cost does not grow with the configuration.
   */
  #syncHealthTargets(services?: ReadonlySet<string>): void {
    const checked = services ? this.#store.services.healthCheckedOf(services) : this.#store.services.healthChecked();
    const targets: HealthTarget[] = checked.map(({ vip, vipPort, mode, ...target }) => ({
      ...target,
      ...(mode === 'nat' ? {} : { dataPath: { mode, vip, vipPort, backend: target.address } }),
      initialUp: this.#reconciler.carriesFlows(target.service, target.endpoint),
    }));
    if (services) this.#health.setTargetsOf(services, targets);
    else this.#health.setTargets(targets);
  }

  /* ---- the change pipeline ---- */

  /**
   * Runs `change` (store writes) in a transaction with its audit rows, then
   * reconciles; any throw undoes both. Returns what `change` returned.
   */
  commit<T>(caller: Identity, change: (now: number) => { result: T; audit: AuditRecord[] }): T | Promise<T> {
    const local = () => this.#commitLocal(caller, change);
    return this.#fleet ? this.#commitToFleet(this.#fleet, caller, change, { local }) : local();
  }

  /**
   * A change to users or API tokens (auth/identity-commit.ts): on one node a
   * store transaction with its audit rows (no map is touched); in a fleet the
   * same path as a service change, one guarded etcd transaction.
   */
  commitIdentities<T>(caller: Identity, change: (now: number) => IdentityChange<T>, options: IdentityCommitOptions = {}): T | Promise<T> {
    const local = () => localIdentityCommit(this.#store)(caller, change, options);
    return this.#fleet ? this.#commitToFleet(this.#fleet, caller, change, { ...options, local }) : local();
  }

  #commitLocal<T>(caller: Identity, change: (now: number) => { result: T; audit: AuditRecord[] }): T {
    let reconcileStarted = false;
    try {
      const result = this.#store.transaction(() => {
        const now = Date.now();
        /* The forwarding modes' rules (dsr on-link, a tunnel source): refused before anything reaches the maps. */
        const outcome = this.checkForwarding(() => change(now));
        for (const record of outcome.audit) this.#store.audit.append(caller, record, now);
        reconcileStarted = true;
        /* Before the reconcile: a backend this change adds is pending, not up-until-told-otherwise. */
        const changed = this.#store.services.takeChanged();
        this.#syncHealthTargets(changed);
        this.#applyChanged(changed);
        return outcome.result;
      });
      this.#reconciled = true;
      this.#syncNeighbours();
      this.#announce();
      return result;
    } catch (error) {
      /* The transaction has rolled back: the store holds the state before the change again. */
      if (reconcileStarted) {
        this.#resyncHealthTargets();
        this.#restore(this.#desiredState(), error);
      }
      throw asSluiceError(error);
    }
  }

  /**
   * A change in fleet mode: run on the local copy as a dry run (rolled back),
   * which yields the documents it touched (services, users, tokens) and the
   * revisions of the keys it was judged on; written to the fleet in one
   * guarded txn; resolved once this node's watch has applied it
   * (fleet/etcd-fleet.ts). A change that touches no document (node drain's
   * audit entry) is committed by `local`, as the node's own.
   */
  async #commitToFleet<T>(
    fleet: EtcdFleet,
    caller: Identity,
    change: (now: number) => { result: T; audit: AuditRecord[] },
    options: IdentityCommitOptions & { local: () => T | Promise<T> },
  ): Promise<T> {
    const refusal = fleet.refusal();
    if (refusal) throw unavailable(`${refusal}; nothing was changed`, { store: fleet.display });
    const DRY_RUN = Symbol('dry run');
    const now = options.at ?? Date.now();
    let dry: { result: T; audit: AuditRecord[]; batch: DesiredBatch; base: Map<string, string | null> } | undefined;
    try {
      this.#store.transaction(() => {
        const identitiesBefore = identitySnapshot(this.#store);
        const outcome = this.checkForwarding(() => change(now));
        const touched = this.#store.services.takeChanged();
        const identities = identityChanges(identitiesBefore, identitySnapshot(this.#store));
        const batch: DesiredBatch = {
          services: new Map([...touched].map((name) => [name, this.#store.services.wholeOf(name)])),
          users: identities.users,
          tokens: identities.tokens,
        };
        dry = { ...outcome, batch, base: fleet.baseOf([...keysOf(batch), ...identities.judgedOn]) };
        throw DRY_RUN;
      });
    } catch (error) {
      if (error !== DRY_RUN) throw asSluiceError(error);
    }
    if (!dry) throw new Error('fleet commit: the dry run did not run');
    if (batchSize(dry.batch) === 0) return options.local();
    const actor = { user: caller.user, role: caller.role };
    const kept = options.keepSession;
    /* Until the write is applied here: this node's apply of it ends the user's other sessions, not this one. */
    if (kept) this.#keptSessions.set(kept.user, kept.tokenHash);
    try {
      await fleet.write({
        batch: dry.batch,
        base: dry.base,
        absent: options.onlyIfNoUsers ? [USERS_PREFIX] : [],
        audit: dry.audit.map((record) => ({ at: now, actor, record })),
      });
    } finally {
      if (kept && this.#keptSessions.get(kept.user) === kept.tokenHash) this.#keptSessions.delete(kept.user);
    }
    return dry.result;
  }

  /** Applies what the fleet's store holds to the local copy, then reconciles what it touched (as a local change does). */
  #fleetSink(): FleetSink {
    const applyToCopy = (write: (now: number) => void) => {
      if (this.#stopped) return;
      this.#store.transaction(() => write(Date.now()));
      const changed = this.#store.services.takeChanged();
      this.#syncHealthTargets(changed);
      this.#reconcileStore([...changed]);
    };
    const copyAudit = (audit: Parameters<FleetSink['apply']>[1]) => {
      for (const entry of audit) this.#store.audit.appendShared(entry.key, entry.actor, entry.record, entry.at);
    };
    const keep = (user: string) => this.#keptSessions.get(user);
    return {
      replaceAll: (state, audit) =>
        applyToCopy((now) => {
          for (const existing of this.#store.services.list())
            if (!state.services.has(existing.name)) this.#store.services.replaceWhole(existing.name, undefined, now);
          for (const [name, whole] of state.services) this.#store.services.replaceWhole(name, whole, now);
          applyIdentities(this.#store, state, { whole: true, keep });
          copyAudit(audit);
        }),
      apply: (batch, audit) =>
        applyToCopy((now) => {
          for (const [name, whole] of batch.services) this.#store.services.replaceWhole(name, whole, now);
          applyIdentities(this.#store, batch, { whole: false, keep });
          copyAudit(audit);
        }),
      health: () => ({
        reconciled: this.#reconciled,
        reason: this.#reconciled ? null : 'the last reconcile failed (see the agent log): the maps may lag the applied revision',
        announcing: this.#speaker ? this.#withheld === null : null,
        traffic: this.#trafficNow(),
      }),
    };
  }

  /** The fleet view's traffic of this node: the sampler's last second (zero without one) and the maps' packet total. */
  #trafficNow() {
    const last = this.series({}, 1).at(-1);
    const packets = this.totals().services.reduce((sum, service) => sum + service.packets, 0);
    return { pps: last?.pps ?? 0, bps: last?.bps ?? 0, activeFlows: this.#openFlows(), packets };
  }

  /** True when the desired state is the fleet's (--store etcd://...). */
  get inFleet(): boolean {
    return this.#fleet !== undefined;
  }

  /**
   * Runs a store change (inside the caller's transaction) and checks what it
   * adds against the forwarding modes' rules (forwarding/forwarding-rules.ts);
   * throws INVALID, so the transaction rolls back. commit() and import's dry run use it.
   */
  checkForwarding<T>(change: () => T): T {
    const before = this.#store.services.desired();
    const result = change();
    const after = this.#store.services.desired();
    /*
     * The store keeps an unchanged service's spec as the same object: only
     * what the change wrote is checked, beside what it replaced (no name is
     * formatted for the services it left alone).
     */
    const unchanged = new Set(before);
    const changed = after.filter((service) => !unchanged.has(service));
    const kept = new Set(after);
    const replaced = before.filter((service) => !kept.has(service));
    checkForwardingChange(replaced, changed, { network: this.#parts.network, tunnel: this.#tunnel });
    return result;
  }

  /** After a rollback: the targets of the state before the change (a refused add leaves no probe behind). */
  #resyncHealthTargets(): void {
    try {
      this.#syncHealthTargets();
    } catch (error) {
      log('error', `health targets after a refused change: ${(error as Error).message}`);
    }
  }

  /** What the reconciler should make of the maps. */
  #desiredState(): DataplaneConfig {
    return { services: [...this.#store.services.desired()] };
  }

  /**
   * Reconciles the named services only, when the maps hold the rest already
   * (the last reconcile succeeded); otherwise the whole state.
   */
  #applyChanged(names: Iterable<string>): void {
    this.#servicesApplied++;
    if (this.#reconciled && this.#reconciler.canApplyServices) this.#reconciler.applyServices(this.#store.services.desiredOf(names), this.isUp);
    else this.#reconciler.apply(this.#desiredState(), this.isUp);
  }

  /** Reconcile without a store change (health flips: those services; start-up and the periodic pass: all). */
  #reconcileStore(services?: string[]): void {
    try {
      if (services) this.#applyChanged(services);
      else this.#reconciler.apply(this.#desiredState(), this.isUp);
      this.#reconciled = true;
      this.#syncNeighbours();
    } catch (error) {
      this.#reconciled = false;
      log('error', `reconcile failed: ${(error as Error).message}`);
    }
    this.#announce();
  }

  #restore(previous: DataplaneConfig, cause: unknown): void {
    try {
      this.#reconciler.apply(previous, this.isUp);
      this.#reconciled = true;
      log('warn', `change refused (${(cause as Error).message}); the maps were restored`);
    } catch (error) {
      this.#reconciled = false;
      log('error', `change failed (${(cause as Error).message}) and restoring the maps failed too: ${(error as Error).message}`);
      this.#announce();
    }
  }

  /* ---- forwarding modes ---- */

  /** Resolves the tunnel sources and writes them to the tunnel_settings map. */
  #writeTunnelSettings(options: TunnelOptions): TunnelSources {
    const sources = resolveTunnelSources(options, this.#options.interfaces, this.#parts.network);
    this.#dataplane.maps.tunnelSettings.update(0, tunnelSettingsEntry(sources));
    log('info', describeTunnelSources(sources));
    return sources;
  }

  /** The tunnel settings in force. */
  get tunnelSources(): TunnelSources {
    return this.#tunnel;
  }

  /**
   * New tunnel settings (the settings file re-read on SIGHUP). Refused, with
   * nothing changed, if an ipip or gue service would lose its family's source.
   */
  setTunnelOptions(options: TunnelOptions): TunnelSources {
    const next = resolveTunnelSources(options, this.#options.interfaces, this.#parts.network);
    for (const service of this.#store.services.desired()) {
      if (!isTunnelMode(service.mode)) continue;
      const why = next.missing[addressFamily(service.address) as 4 | 6];
      if (why) throw new Error(`the new tunnel settings would leave ${service.mode} service ${serviceName(service)} without a source: ${why}`);
    }
    this.#dataplane.maps.tunnelSettings.update(0, tunnelSettingsEntry(next));
    log('info', describeTunnelSources(next));
    this.#tunnel = next;
    return next;
  }

  /* A store from a run with other settings may hold tunnel services this run has no source for: the data plane drops their packets. */
  #warnUnsourcedTunnels(): void {
    for (const service of this.#store.services.desired()) {
      const why = isTunnelMode(service.mode) ? this.#tunnel.missing[addressFamily(service.address) as 4 | 6] : undefined;
      if (why) log('error', `${service.mode} service ${serviceName(service)} gets no traffic through: ${why}`);
    }
  }

  /** Tells the next-hop keeper which dsr, ipip and gue backends the store holds (after each reconcile). */
  #syncNeighbours(): void {
    void this.#neighbours.sync(this.#forwardedBackends());
  }

  /** The next hops of dsr, ipip and gue backends as last seen; waits for the keeper's pass under way first. */
  async nextHops(options: { refresh?: boolean } = {}): Promise<NextHopStatus[]> {
    await this.#neighbours.sync(this.#forwardedBackends());
    if (options.refresh) await this.#neighbours.refresh();
    return this.#neighbours.status();
  }

  /** Backends of dsr, ipip and gue services: the data plane forwards to them (or their gateway) by MAC. */
  #forwardedBackends(): string[] {
    return this.#store.services
      .desired()
      .filter((service) => service.mode !== 'nat')
      .flatMap((service) => service.backends.map((backend) => backend.address));
  }

  /* ---- data-plane facts the operations report ---- */

  /** The data plane's limits (map sizes and the per-service setting): the capacity rules check against them. */
  get limits(): ReconcilerLimits {
    return this.#reconciler.limits;
  }

  /** The data-plane id of a service, null before it is in the maps. */
  serviceDataplaneId(service: string): number | null {
    return this.#reconciler.serviceIdOf(service) ?? null;
  }

  /** What the data plane holds of one backend: its id, its open flows and its health. */
  backendFacts(service: string, endpoint: string, openFlows: (backendId: number | undefined) => number = (id) => this.#activeFlows(id)): BackendFacts {
    const id = this.#reconciler.backendIdOf(service, endpoint);
    return {
      dataplaneId: id ?? null,
      activeFlows: openFlows(id),
      health: this.healthStatus(service, endpoint),
      up: this.isUp(service, endpoint),
    };
  }

  /** Every service and backend in the maps by name, with their ids (connections, stats). */
  placement(): Map<string, { id: number; backends: Map<string, number> }> {
    return this.#reconciler.ids();
  }

  /** Open flows of every backend in the maps, read at once (one batch for many): for a view of many backends (backendFacts). */
  openFlowsReader(): (backendId: number | undefined) => number {
    const ids = [...this.#reconciler.ids().values()].flatMap(({ backends }) => [...backends.values()]);
    const reads = readCounters(this.#dataplane.maps, ids, []);
    return (id) => (id === undefined ? 0 : reads.active(id));
  }

  /** Open flows of a backend: backend_active, which the data plane keeps and the conntrack GC corrects. */
  #activeFlows(backendId: number | undefined): number {
    if (backendId === undefined) return 0;
    return Number(this.#dataplane.maps.backendActive.lookup(backendId) ?? 0n);
  }

  /** Entries the flow table holds at most (the loaded map's size). */
  get flowTableCapacity(): number {
    return this.#dataplane.maps.flows.maxEntries;
  }

  /** A page of the flow table (conntrack/), filtered by data-plane ids. */
  listFlows(filter: FlowFilter, cursor: string | undefined, limit: number): ReturnType<typeof listFlows> {
    return this.#parts.listFlows(this.#dataplane.maps, filter, cursor, limit);
  }

  /** Resolves true once listFlows has a snapshot to page (at once when it has), false after `timeoutMs` without one. */
  awaitFlowSnapshot(timeoutMs: number): Promise<boolean> {
    return awaitFlowIndex(this.#dataplane.maps, timeoutMs);
  }

  /** Counter totals of the whole balancer and of each service and backend in the maps (stats/). */
  totals(): StatsTotals {
    const placement = this.placement();
    return readTotals(this.#dataplane.maps, placement, this.#backendSignals(placement));
  }

  /**
   * Grows whenever what the console lists may have changed: a service change
   * applied, or an audit entry written (every change, health flip and drain
   * expiry writes one). Sent with each live sample (stats.live).
   */
  changeCount(): number {
    return this.#servicesApplied + this.#store.audit.appended;
  }

  /** The live feed's samples for one subscriber, with `service`'s backends, until `signal` aborts (stats.live). */
  liveSamples(service: string | undefined, signal: AbortSignal): AsyncGenerator<StatsSample> {
    return this.#live.samples(service, signal);
  }

  /** The sampler's rates for a scope of data-plane ids; [] when the agent runs without a sampler (tests). */
  series(scope: StatsScope, seconds: number): RatePoint[] {
    return this.#parts.stats?.series(scope, seconds) ?? [];
  }

  /** Health flips as the checker reports them; returns the function that stops listening. */
  onHealthChange(listener: (status: BackendHealthStatus) => void): () => void {
    this.#health.on('change', listener);
    return () => void this.#health.off('change', listener);
  }

  /**
   * Ends the flows of these backends by data-plane id, on the conntrack
   * worker: a scan of the whole table. Open flows come off the backend's
   * active count. A removed backend is retired until then (its id and its
   * replies' translation kept, reconciler rule 6); once no flow names it, it
   * is freed here. Resolves to the open connections cut and, apart, the
   * closed entries removed (a closed entry cuts nothing: counting it as a
   * connection ended told an operator 18 were cut when none was open).
   */
  async endFlowsById(backendIds: number[]): Promise<EndedFlows> {
    if (backendIds.length === 0) return { open: 0, closed: 0 };
    for (const id of backendIds) this.#endingIds.add(id);
    try {
      const { ended, activeTaken } = await this.#parts.endFlows(this.#dataplane.maps, backendIds);
      if (!this.#stopped) this.#reconciler.freeRetired(backendIds);
      const open = Object.values(activeTaken).reduce((sum, n) => sum + n, 0);
      return { open, closed: ended - open };
    } finally {
      for (const id of backendIds) this.#endingIds.delete(id);
    }
  }

  /**
   * Removed backends no end-flows job is on (retired by an agent that stopped
   * before freeing them, or whose job failed): end their flows, then free them.
   */
  async #finishRemovals(): Promise<void> {
    const waiting = this.#reconciler.retiredBackendIds().filter((id) => !this.#endingIds.has(id));
    if (waiting.length === 0 || Date.now() < this.#retryRemovalsAt) return;
    try {
      const ended = await this.endFlowsById(waiting);
      log('info', `removed backends ${waiting.join(', ')}: cut ${ended.open} open connections left on them, removed ${ended.closed} closed entries, ids freed`);
    } catch (error) {
      this.#retryRemovalsAt = Date.now() + REMOVAL_RETRY_MS;
      log(
        'error',
        `ending the flows of removed backends ${waiting.join(', ')} (their ids stay taken; retry in ${REMOVAL_RETRY_MS} ms): ${(error as Error).message}`,
      );
    }
  }

  /** An audit entry outside a commit: what a change did after it was committed (the log is append-only). */
  recordAudit(caller: Identity, record: AuditRecord): void {
    this.#store.audit.append(caller, record, Date.now());
  }

  #endFlows(service: string, endpoint: string): Promise<EndedFlows> {
    const id = this.#reconciler.backendIdOf(service, endpoint);
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
    const changes = this.changeCount();
    if (this.#pendingDrains?.changes !== changes) this.#pendingDrains = { changes, backends: this.#store.services.pendingDrainTimeouts() };
    for (const backend of this.#pendingDrains.backends) {
      if (now < backend.drainStartedAt! + backend.drainTimeoutMs!) continue;
      try {
        const ended = (await this.#endFlows(backend.service, backend.endpoint)).open;
        if (this.#stopped) return;
        this.#store.transaction(() => {
          this.#store.services.markDrainExpired(backend, now);
          this.#store.audit.append(
            SYSTEM_ACTOR,
            {
              action: 'backend.drainExpired',
              target: `${backend.service} ${backend.endpoint}`,
              before: { activeFlows: ended },
              after: { activeFlows: this.#activeFlows(this.#reconciler.backendIdOf(backend.service, backend.endpoint)) },
            },
            now,
          );
        });
        log('info', `drain of ${backend.endpoint} (${backend.service}) timed out after ${backend.drainTimeoutMs} ms: ended ${ended} flows`);
        this.#options.onDrainExpired?.({ service: backend.service, endpoint: backend.endpoint, flowsEnded: ended });
      } catch (error) {
        log('error', `ending the drain of ${backend.endpoint} (${backend.service}): ${(error as Error).message}`);
      }
    }
  }

  /* ---- announcing over BGP (announce/) ---- */

  async #startSpeaker(bgp: NonNullable<AgentOptions['bgp']>): Promise<void> {
    const speaker = new Speaker(bgp.settings, bgp.runDir);
    this.#speaker = speaker;
    await speaker.start();
    /* Each tick: the rule again (an interface may have lost its program), then what BIRD really does. */
    this.#announceTimer = setInterval(() => {
      this.#announce();
      void speaker.poll();
    }, bgp.settings.pollMs);
    this.#announceTimer.unref();
  }

  /** True when this agent drives a BGP speaker (started with --bgp-config). */
  get announces(): boolean {
    return this.#speaker !== undefined;
  }

  get draining(): boolean {
    return this.#drainingSince !== null;
  }

  /** The process calls this once the API serves: from then on the VIPs may be announced. */
  /** Waits for a program verified in the background and attaches it (a fresh start); at once otherwise. Before markReady. */
  attachDataplane(): Promise<void> {
    return finishDataplaneStart(this.#dataplane);
  }

  markReady(): Promise<void> {
    this.#ready = true;
    this.#parts.eventLoop?.start();
    return this.#announce();
  }

  /** Drain (true) withdraws every route; resolves once BIRD has taken the change. A repeated drain keeps its start and takes the new timeout. */
  setDraining(draining: boolean, timeoutMs: number | null = null): Promise<void> {
    if (draining !== this.draining) this.#drainingSince = draining ? Date.now() : null;
    this.#drainTimeoutMs = draining ? timeoutMs : null;
    return this.#announce();
  }

  /** The program is on every balancer interface (a test's loaded data plane sits on none). */
  #attached(): boolean {
    if (this.#options.dataplane || this.#options.interfaces.length === 0) return false;
    try {
      return this.#options.interfaces.every((ifname) => this.#dataplane.attachedProgramId(ifname, this.#options.xdpMode) === this.#dataplane.programId);
    } catch {
      return false; // the interface is gone
    }
  }

  /** A backend that can take a new connection: ready, weight > 0, health up. Announcing and the metrics judge alike. */
  isEligible(service: string, backend: { address: string; port: number; weight: number; state: string }): boolean {
    return backend.state === 'ready' && backend.weight > 0 && this.isUp(service, formatEndpoint(backend.address, backend.port));
  }

  /** Eligible backends by service name ("198.18.100.1:80/tcp"), every service listed. */
  eligibleBackendCounts(): Map<string, number> {
    return new Map(
      this.#store.services.desired().map((service) => {
        const name = serviceName(service);
        return [name, service.backends.filter((b) => this.isEligible(name, b)).length];
      }),
    );
  }

  /** The VIPs this node may announce now (announce/announce-conditions.ts). */
  #announcement(): { routes: VipRoutes; withheld: string | null } {
    const services = this.#store.services.desired().map((service) => {
      const name = serviceName(service);
      return { address: service.address, backends: service.backends.map((b) => ({ eligible: this.isEligible(name, b) })) };
    });
    const node = { attached: this.#attached(), reconciled: this.#reconciled, ready: this.#ready, draining: this.draining };
    return vipsToAnnounce(node, services);
  }

  /** Hands the speaker the VIPs of the moment; never throws (a refusal is logged and shows in node.status). */
  #announce(): Promise<void> {
    const speaker = this.#speaker;
    if (!speaker || this.#stopped) return Promise.resolve();
    const { routes, withheld } = this.#announcement();
    if (withheld !== this.#withheld) log('info', withheld ? `BGP: announcing nothing: ${withheld}` : 'BGP: announcing each VIP with an eligible backend');
    this.#withheld = withheld;
    return speaker.apply(routes).catch((error) => log('error', `BGP: ${(error as Error).message}`));
  }

  /**
   * node.check: what keepalived's vrrp_script asks every second or two. Reads only memory and the interfaces (never BIRD).
   * A change of verdict is logged with its reason: keepalived's log says only that the check failed.
   */
  nodeCheck(): NodeCheck {
    const facts = { attached: this.#attached(), reconciled: this.#reconciled, ready: this.#ready };
    const reason = nodeCannotServe(facts) ?? this.#sync?.checkReason(this.#isMaster()) ?? null;
    if ((reason !== null) !== this.#checkFailing) log(reason ? 'warn' : 'info', reason ? `node check: fails: ${reason}` : 'node check: passes');
    this.#checkFailing = reason !== null;
    return { ok: reason === null, reason, ...facts, sync: this.#sync?.state() ?? null };
  }

  #isMaster(): boolean {
    return this.#vrrp.status?.role === 'master';
  }

  /* The flow events reader first: a program without the ring fails here, before anything listens. */
  async #startSync(settings: NonNullable<AgentOptions['sync']>): Promise<void> {
    if (this.#dataplane.tunables().flow_events_on !== 1n)
      throw new Error('flow sync: the program was loaded without flow events (the flow_events_on load-time setting); start the agent with its sync settings');
    const reader = (this.#flowEvents = new FlowEventReader(this.#dataplane.flowEventsFd()));
    const claims = new VipClaimTracker(() => this.#reconciler.vips());
    const { yieldFile, ...syncSettings } = settings;
    this.#sync = await FlowSync.start({
      ...syncSettings,
      maps: this.#dataplane.maps,
      placement: () => this.#reconciler.ids(),
      events: reader,
      isMaster: () => this.#isMaster(),
      vipClaim: () => ({ ...claims.claim(), role: this.#vrrp.status?.role ?? null }),
      ...(yieldFile ? { onYielding: (yielding: boolean) => yieldFile.set(yielding, log) } : {}),
      log,
    });
    const sync = this.#sync;
    this.#parts.conntrack?.onSweepReport((report) => sync.sweptFlows(report.ended));
    log('info', `flow sync: listening on ${settings.listen.address}:${settings.listen.port}, streaming to ${settings.peer.address}:${settings.peer.port}`);
  }

  /**
   * keepalived's report, from its notify FIFO or `sluice node role` (node.role);
   * a change is the system's own audit entry (as a health change is), naming who reported it.
   */
  reportVrrpRole(input: NodeRoleInput, reportedBy: string): VrrpStatus {
    const report = this.#vrrp.report(input, Date.now());
    if (report.changed) {
      log('info', `VRRP: ${report.before ?? 'no role'} -> ${report.status.role}${report.status.instance ? ` (instance ${report.status.instance})` : ''}`);
      this.recordAudit(SYSTEM_ACTOR, {
        action: 'node.role',
        target: 'node',
        before: report.before === null ? null : { role: report.before },
        after: { role: report.status.role, instance: report.status.instance, reportedBy },
      });
    }
    return report.status;
  }

  /** Open flows over every backend in the maps (what a node drain waits for). */
  #openFlows(): number {
    let total = 0;
    for (const { backends } of this.#reconciler.ids().values()) for (const id of backends.values()) total += this.#activeFlows(id);
    return total;
  }

  /** Open flows, when the node last forwarded a packet, and what that makes of a drain (drain-progress.ts). */
  #drainProgress() {
    const now = Date.now();
    const forwarded = this.totals().services.reduce((sum, service) => sum + service.packets, 0);
    const lastForwardedAt = this.#forwarding.observe(forwarded, now);
    const activeFlows = this.#openFlows();
    const phase = drainPhase({ drainingSince: this.#drainingSince, drainTimeoutMs: this.#drainTimeoutMs, activeFlows, lastForwardedAt, now });
    return { activeFlows, lastForwardedAt, drainPhase: phase };
  }

  /** node.status: fresh asks BIRD now, otherwise its last reading (at most pollMs old). */
  async nodeStatus(options: { fresh?: boolean } = {}): Promise<NodeStatus> {
    const speaker = this.#speaker;
    const base = {
      compat: this.#compat,
      vrrp: this.#vrrp.status,
      sync: this.#sync?.status() ?? null,
      fleet: this.#fleet ? await this.#fleet.status() : null,
      breakOnNodeLoss: nodeLossRisks(this.#store.services.desired()),
      draining: this.draining,
      drainingSince: this.#drainingSince,
      drainTimeoutMs: this.#drainTimeoutMs,
      ...this.#drainProgress(),
    };
    if (!speaker) return { ...base, bgp: null };
    const read = options.fresh || speaker.status.readAt === null ? await speaker.read() : speaker.status;
    return {
      ...base,
      bgp: {
        running: read.running,
        pid: read.pid,
        startedAt: read.startedAt,
        restarts: read.restarts,
        localAs: speaker.settings.localAs,
        routerId: speaker.settings.routerId,
        peers: read.peers,
        announced: [...new Set(read.peers.flatMap((p) => p.routes))].sort(),
        withheld: this.#withheld,
        readAt: read.readAt,
        error: read.error,
      },
    };
  }

  /** For the metrics: the event loop's delay since the last scrape; null without a watch (tests). */
  eventLoopDelay(): EventLoopDelay | null {
    return this.#parts.eventLoop?.read() ?? null;
  }

  /** For the metrics: the speaker's last reading (never waits for BIRD at scrape time). */
  nodeMetrics(): NonNullable<MetricsSnapshot['node']> {
    const status = this.#speaker?.status;
    return {
      draining: this.draining,
      compat: this.#compat,
      vrrpRole: this.#vrrp.status?.role ?? null,
      sync: this.#sync?.status() ?? null,
      bgp: status
        ? {
            running: status.running,
            peers: status.peers.map((p) => ({ address: p.address, established: p.established, bfdUp: p.bfd ? p.bfd.up : null, routes: p.routes.length })),
          }
        : null,
    };
  }

  /** Stops BIRD (its sessions close, the routers withdraw this node); the process awaits it before stop(). */
  async stopAnnouncing(): Promise<void> {
    clearInterval(this.#announceTimer);
    await this.#speaker?.stop();
  }

  /* ---- the process's calls (main.ts) ---- */

  /** True until the store holds a service: the services file seeds only an empty store. */
  isEmpty(): boolean {
    return this.#store.isEmpty();
  }

  /** The services file applied as the system (first start, SIGHUP). */
  importServicesDocument(document: Parameters<typeof importConfig>[2]['document']) {
    return importConfig(this, this.#store, { document, dryRun: false, force: true }, SYSTEM_ACTOR);
  }

  /** Writes the admin token file (and its token row) if it is missing or stale. */
  ensureAdminTokenFile(path: string): void {
    ensureAdminTokenFile(path, this.#store);
  }

  /**
   * Creates the first admin user from a password file, once. A fleet node
   * that has not yet listed the fleet (etcd away at its start) cannot know
   * whether the fleet has users, so it decides once the list is applied,
   * rather than never (the admin token file works meanwhile).
   */
  ensureFirstAdmin(passwordFile: string): Promise<void> {
    const fleet = this.#fleet;
    if (fleet && fleet.appliedRevision === 0) {
      log(
        'warn',
        `first start: the fleet's users are not known yet (${fleet.display} has not answered); ${passwordFile} is used once it has, if the fleet has no user`,
      );
      void fleet
        .firstApplied()
        .then(() => ensureFirstAdmin(this.#store, passwordFile, this.#identityCommit))
        .catch((error) => log('error', `first start: console user not created: ${(error as Error).message}`));
      return Promise.resolve();
    }
    return ensureFirstAdmin(this.#store, passwordFile, this.#identityCommit);
  }

  /** Serves Prometheus metrics read from this agent at each scrape. */
  startMetricsServer(options: Omit<MetricsServerOptions, 'collect'>, version: string): Promise<MetricsServer> {
    return this.#parts.startMetricsServer({
      ...options,
      collect: () => metricsSnapshot(this, this.#store, version, this.#parts.conntrack?.lastReport?.flows ?? 0, this.#dataplane.maps.flows.maxEntries),
    });
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#drainTimer);
    clearInterval(this.#fullReconcileTimer);
    clearInterval(this.#announceTimer);
    /* Normally stopped (and awaited) by the process first; this covers a failed start. */
    void this.#speaker?.stop();
    void this.#neighbours.stop();
    this.#health.stop();
    /* detachOnExit: teardownDataplane below removes the steering filter with the XDP program. */
    this.#parts.steering?.close();
    this.#parts.conntrack?.stop();
    this.#parts.stats?.stop();
    this.#parts.eventLoop?.stop();
    this.#sync?.stop();
    this.#flowEvents?.close();
    /* Before the store: a batch applied now would write to a closed database. */
    void this.#fleet?.stop();
    this.#store.close();
    this.#dataplane.close();
    if (this.#options.detachOnExit) teardownDataplane(this.#options);
    else log('info', 'agent stopped; the data plane keeps forwarding');
  }
}

/** One interface as the kernel has it: the mode this agent's program runs in there, else whatever program holds it. */
function attachmentOf(dataplane: Dataplane, name: string): AgentInterface {
  let other: AgentInterface = { name, xdpMode: null, programId: null, attached: false };
  for (const xdpMode of XDP_MODES) {
    let programId: number | undefined;
    try {
      programId = dataplane.attachedProgramId(name, xdpMode);
    } catch {
      return other; // the interface is gone
    }
    if (programId === dataplane.programId) return { name, xdpMode, programId, attached: true };
    if (programId !== undefined && other.programId === null) other = { name, xdpMode, programId, attached: false };
  }
  return other;
}

/** The health probes' steering object is built beside the balancer's (bpf/build/health_steer.bpf.o). */
function healthSteerObjectBeside(objectPath: string): string {
  return join(dirname(objectPath), 'health_steer.bpf.o');
}

/** Errors from the reconciler and the data plane in the API's terms. */
function asSluiceError(error: unknown): Error {
  if (isSluiceError(error)) return error;
  if (error instanceof ReconcileError) return new SluiceError(error.code, error.message);
  if (error instanceof DataplaneError) return new SluiceError('INTERNAL', `the data plane refused the change: ${error.message}; nothing was changed`);
  const message = (error as Error)?.message ?? String(error);
  if (/UNIQUE constraint failed/.test(message)) return new SluiceError('CONFLICT', `already exists (${message})`);
  return error instanceof Error ? error : new Error(message);
}
