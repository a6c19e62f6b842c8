/*
 * What the router needs from the agent. The router (this package) validates,
 * checks roles and shapes errors; the agent implements this interface with
 * its store, reconciler, health checker, conntrack and stats. The console
 * imports only types, never this implementation.
 *
 * Every method may throw SluiceError; anything else becomes INTERNAL.
 * Mutations get the caller for the audit log.
 */
import type { Identity } from './identity.ts';
import type { AgentInfo } from './router/agent.types.ts';
import type { AuditEvents, AuditEventsInput, AuditListInput, AuditPage } from './router/audit.types.ts';
import type {
  ChangePasswordInput,
  ChangePasswordResult,
  CreateUserInput,
  LoginAttempt,
  LoginResult,
  TokenView,
  UpdateUserInput,
  UserView,
} from './router/auth.types.ts';
import type {
  BackendAddInput,
  BackendBulkInput,
  BackendRemoveInput,
  BackendSetStateInput,
  BackendSetWeightInput,
  BackendView,
} from './router/backends.types.ts';
import type { BackendHostReport, BackendHostReportView } from './router/backend-hosts.types.ts';
import type { ConfigImportInput, ConfigImportResult } from './router/config.types.ts';
import type { ConnectionListInput, ConnectionPage } from './router/connections.types.ts';
import type { BackendHealth, HealthChange } from './router/health.types.ts';
import type { NodeCheck, NodeDrainInput, NodeRoleInput, NodeStatus, VrrpStatus } from './router/node.types.ts';
import type { ServiceCreateInput, ServiceDeleteInput, ServiceDetail, ServiceUpdateInput, ServiceView } from './router/services.types.ts';
import type { RatePoint, StatsSample, StatsScope, StatsTotals } from './router/stats.types.ts';
import type { ConfigDocument } from './schemas/config-document.ts';
import type { Role } from './identity.ts';

type MaybePromise<T> = T | Promise<T>;

export interface SluiceBackend {
  agent: {
    info(): MaybePromise<AgentInfo>;
  };
  services: {
    list(): MaybePromise<ServiceView[]>;
    get(service: string): MaybePromise<ServiceDetail>;
    create(input: ServiceCreateInput, caller: Identity): MaybePromise<ServiceDetail>;
    update(input: ServiceUpdateInput, caller: Identity): MaybePromise<ServiceDetail>;
    delete(input: ServiceDeleteInput, caller: Identity): MaybePromise<{ deleted: string; flowsEnded: number }>;
  };
  backends: {
    list(service: string): MaybePromise<BackendView[]>;
    add(input: BackendAddInput, caller: Identity): MaybePromise<BackendView>;
    setWeight(input: BackendSetWeightInput, caller: Identity): MaybePromise<BackendView>;
    setState(input: BackendSetStateInput, caller: Identity): MaybePromise<BackendView>;
    remove(input: BackendRemoveInput, caller: Identity): MaybePromise<{ removed: string; flowsEnded: number; closedEntriesRemoved: number }>;
    bulk(
      input: BackendBulkInput,
      caller: Identity,
    ): MaybePromise<{ backends: BackendView[]; removed: string[]; flowsEnded: number; closedEntriesRemoved: number }>;
    /** The service's backends now and then every intervalMs (drain progress), until signal aborts. */
    watch(service: string, intervalMs: number, signal: AbortSignal): AsyncIterable<BackendView[]>;
  };
  backendHosts: {
    report(input: BackendHostReport, caller: Identity): MaybePromise<BackendHostReportView>;
    /** All reports, or the one whose host has `address`. */
    list(address: string | undefined): MaybePromise<BackendHostReportView[]>;
  };
  connections: {
    list(input: ConnectionListInput): MaybePromise<ConnectionPage>;
  };
  stats: {
    totals(): MaybePromise<StatsTotals>;
    series(scope: StatsScope, seconds: number): MaybePromise<RatePoint[]>;
    /** One sample a second until signal aborts. `service`: whose backends each sample carries (none without it); an unknown service is NOT_FOUND. */
    live(service: string | undefined, signal: AbortSignal): AsyncIterable<StatsSample>;
  };
  health: {
    list(service: string | undefined): MaybePromise<BackendHealth[]>;
    /** Up/down flips as they happen, until signal aborts. */
    changes(service: string | undefined, signal: AbortSignal): AsyncIterable<HealthChange>;
  };
  audit: {
    list(input: AuditListInput): MaybePromise<AuditPage>;
    events(input: AuditEventsInput): MaybePromise<AuditEvents>;
  };
  auth: {
    login(user: string, password: string, attempt: LoginAttempt): MaybePromise<LoginResult>;
    unlockLogin(keys: { user?: string; source?: string }, caller: Identity): MaybePromise<{ user: boolean | null; source: boolean | null }>;
    /** Ends the session whose token is given (a no-op for API tokens). */
    logout(token: string | null, caller: Identity): MaybePromise<void>;
    listUsers(): MaybePromise<UserView[]>;
    createUser(input: CreateUserInput, caller: Identity): MaybePromise<UserView>;
    updateUser(input: UpdateUserInput, caller: Identity): MaybePromise<UserView>;
    /** The caller's own password; token: the session that asks (it stays, the user's others end). */
    changePassword(token: string | null, input: ChangePasswordInput, caller: Identity): MaybePromise<ChangePasswordResult>;
    deleteUser(user: string, caller: Identity): MaybePromise<void>;
    listTokens(): MaybePromise<TokenView[]>;
    createToken(name: string, role: Role, caller: Identity): MaybePromise<TokenView & { token: string }>;
    revokeToken(name: string, caller: Identity): MaybePromise<void>;
  };
  config: {
    export(): MaybePromise<ConfigDocument>;
    import(input: ConfigImportInput, caller: Identity): MaybePromise<ConfigImportResult>;
  };
  node: {
    status(): MaybePromise<NodeStatus>;
    check(): MaybePromise<NodeCheck>;
    /** Records the VRRP role keepalived reports; audited when it changes. */
    role(input: NodeRoleInput, caller: Identity): MaybePromise<VrrpStatus>;
    /** Withdraws every route (resolves once BIRD has); the node stays drained until resume. */
    drain(input: NonNullable<NodeDrainInput>, caller: Identity): MaybePromise<NodeStatus>;
    resume(caller: Identity): MaybePromise<NodeStatus>;
  };
}
