/* Services and their backends: the desired state the reconciler makes real. */
import type { AdminState, Algorithm, ForwardingMode, HealthCheckSpec, Protocol, ServiceSpec } from '@sluice/api';
import { formatEndpoint, serviceName } from '@sluice/api';
import type { Db } from './database.js';
import { prepared } from './statement-cache.js';
import { DesiredCache, type HealthCheckedBackend } from './desired-cache.js';

export interface ServiceRow {
  id: number;
  name: string;
  address: string;
  port: number;
  protocol: Protocol;
  algorithm: Algorithm;
  mode: ForwardingMode;
  /** New connections per client address per second; 0: no limit. */
  clientRate: number;
  healthCheck: HealthCheckSpec;
  createdAt: number;
  updatedAt: number;
}

export interface BackendRow {
  id: number;
  serviceId: number;
  service: string;
  endpoint: string;
  address: string;
  port: number;
  weight: number;
  state: AdminState;
  drainStartedAt: number | null;
  drainTimeoutMs: number | null;
  drainExpired: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface NewService {
  address: string;
  port: number;
  protocol: Protocol;
  algorithm: Algorithm;
  mode: ForwardingMode;
  /** Absent: 0, no limit. */
  clientRate?: number;
  healthCheck: HealthCheckSpec;
}

export interface NewBackend {
  address: string;
  port: number;
  weight: number;
  state: AdminState;
}

/**
 * A service whole, with its backends as a fleet shares it (fleet/service-document.ts):
 * everything but the ids, timestamps and the node's own drain-expiry mark.
 */
export interface WholeService extends NewService {
  clientRate: number;
  backends: (NewBackend & { drainStartedAt: number | null; drainTimeoutMs: number | null })[];
}

/** A services row as SQLite returns it (desired-cache.ts reads the same columns but the timestamps). */
export interface RawService {
  id: number;
  name: string;
  address: string;
  port: number;
  protocol: string;
  algorithm: string;
  mode: string;
  client_rate: number;
  health_check: string;
  created_at: number;
  updated_at: number;
}

interface RawBackend {
  id: number;
  service_id: number;
  service: string;
  endpoint: string;
  address: string;
  port: number;
  weight: number;
  state: string;
  drain_started_at: number | null;
  drain_timeout_ms: number | null;
  drain_expired: number;
  created_at: number;
  updated_at: number;
}

const toService = (r: RawService): ServiceRow => ({
  id: r.id,
  name: r.name,
  address: r.address,
  port: r.port,
  protocol: r.protocol as Protocol,
  algorithm: r.algorithm as Algorithm,
  mode: r.mode as ForwardingMode,
  clientRate: r.client_rate,
  healthCheck: JSON.parse(r.health_check) as HealthCheckSpec,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toBackend = (r: RawBackend): BackendRow => ({
  id: r.id,
  serviceId: r.service_id,
  service: r.service,
  endpoint: r.endpoint,
  address: r.address,
  port: r.port,
  weight: r.weight,
  state: r.state as AdminState,
  drainStartedAt: r.drain_started_at,
  drainTimeoutMs: r.drain_timeout_ms,
  drainExpired: r.drain_expired !== 0,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const BACKEND_SELECT = `SELECT b.*, s.name AS service FROM backends b JOIN services s ON s.id = b.service_id`;

export class ServicesRepo {
  private readonly desiredCache: DesiredCache;

  constructor(private readonly db: Db) {
    this.desiredCache = new DesiredCache(db);
  }

  list(): ServiceRow[] {
    return (prepared(this.db, 'SELECT * FROM services ORDER BY name').all() as RawService[]).map(toService);
  }

  get(name: string): ServiceRow | undefined {
    const row = prepared(this.db, 'SELECT * FROM services WHERE name = ?').get(name) as RawService | undefined;
    return row && toService(row);
  }

  count(): number {
    return (prepared(this.db, 'SELECT count(*) AS n FROM services').get() as { n: number }).n;
  }

  insert(service: NewService, now: number): ServiceRow {
    const name = serviceName(service);
    this.desiredCache.touched(name);
    prepared(
      this.db,
      `INSERT INTO services (name, address, port, protocol, algorithm, mode, client_rate, health_check, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      name,
      service.address,
      service.port,
      service.protocol,
      service.algorithm,
      service.mode,
      service.clientRate ?? 0,
      JSON.stringify(service.healthCheck),
      now,
      now,
    );
    return this.get(name)!;
  }

  update(name: string, changes: Pick<ServiceRow, 'algorithm' | 'mode' | 'clientRate' | 'healthCheck'>, now: number): ServiceRow {
    this.desiredCache.touched(name);
    prepared(this.db, 'UPDATE services SET algorithm = ?, mode = ?, client_rate = ?, health_check = ?, updated_at = ? WHERE name = ?').run(
      changes.algorithm,
      changes.mode,
      changes.clientRate,
      JSON.stringify(changes.healthCheck),
      now,
      name,
    );
    return this.get(name)!;
  }

  delete(name: string): void {
    this.desiredCache.touched(name);
    prepared(this.db, 'DELETE FROM services WHERE name = ?').run(name);
  }

  /**
   * Every service with its backends, only the fields the reconciler uses, in
   * name order. Served from memory: only services written since the last read
   * are read again, so a change costs the same with 1 service or 256. An
   * unchanged service is the same (frozen) object from one read to the next.
   */
  desired(): readonly ServiceSpec[] {
    return this.desiredCache.all();
  }

  /** The named services' desired state (undefined: not in the store), as desired() has them. */
  desiredOf(names: Iterable<string>): Map<string, ServiceSpec | undefined> {
    return this.desiredCache.of(names);
  }

  /**
   * Names of the services written since the last call (also by a transaction
   * that rolled back since: reconciling those again changes nothing).
   */
  takeChanged(): Set<string> {
    return this.desiredCache.takeChanged();
  }

  /** Forgets what desired() holds in memory: the next read is a whole one (the periodic safety net). */
  reloadDesired(): void {
    this.desiredCache.reload();
  }

  /** A transaction rolled back: what it wrote is read again. Store.transaction calls it. */
  rolledBack(): void {
    this.desiredCache.rolledBack();
  }

  /** An outermost transaction begins. Store.transaction calls it. */
  transactionStarts(): void {
    this.desiredCache.transactionStarts();
  }

  /** A service with its backends as the fleet shares it; undefined when the store lacks it. */
  wholeOf(name: string): WholeService | undefined {
    const service = this.get(name);
    if (!service) return undefined;
    return {
      address: service.address,
      port: service.port,
      protocol: service.protocol,
      algorithm: service.algorithm,
      mode: service.mode,
      clientRate: service.clientRate,
      healthCheck: service.healthCheck,
      backends: this.backends(name).map((b) => ({
        address: b.address,
        port: b.port,
        weight: b.weight,
        state: b.state,
        drainStartedAt: b.drainStartedAt,
        drainTimeoutMs: b.drainTimeoutMs,
      })),
    };
  }

  /** A service and its backends as `whole` says (undefined: not there), in the fleet's copy; rows already equal stay untouched. */
  replaceWhole(name: string, whole: WholeService | undefined, now: number): void {
    const current = this.get(name);
    if (!whole) {
      if (current) this.delete(name);
      return;
    }
    const settings = { algorithm: whole.algorithm, mode: whole.mode, clientRate: whole.clientRate, healthCheck: whole.healthCheck };
    const row = current ? this.update(name, settings, now) : this.insert(whole, now);
    const left = new Map(this.backends(name).map((b) => [b.endpoint, b]));
    for (const backend of whole.backends) {
      const endpoint = formatEndpoint(backend.address, backend.port);
      const had = left.get(endpoint);
      left.delete(endpoint);
      if (!had) {
        this.insertBackend(row, backend, now);
        this.#setDrain(row.id, endpoint, backend.drainStartedAt, backend.drainTimeoutMs, false, now);
        continue;
      }
      if (
        had.weight === backend.weight &&
        had.state === backend.state &&
        had.drainStartedAt === backend.drainStartedAt &&
        had.drainTimeoutMs === backend.drainTimeoutMs
      )
        continue;
      this.desiredCache.touched(name);
      prepared(this.db, 'UPDATE backends SET weight = ?, state = ?, updated_at = ? WHERE id = ?').run(backend.weight, backend.state, now, had.id);
      /* The node's own expiry mark stays only for the drain it was set for. */
      const sameDrain = had.drainStartedAt === backend.drainStartedAt;
      this.#setDrain(row.id, endpoint, backend.drainStartedAt, backend.drainTimeoutMs, sameDrain && had.drainExpired, now);
    }
    for (const gone of left.values()) this.deleteBackend(gone);
  }

  #setDrain(serviceId: number, endpoint: string, startedAt: number | null, timeoutMs: number | null, expired: boolean, now: number): void {
    prepared(
      this.db,
      'UPDATE backends SET drain_started_at = ?, drain_timeout_ms = ?, drain_expired = ?, updated_at = ? WHERE service_id = ? AND endpoint = ?',
    ).run(startedAt, timeoutMs, expired ? 1 : 0, now, serviceId, endpoint);
  }

  /* ---- backends ---- */

  backends(serviceNameOrAll?: string): BackendRow[] {
    const rows =
      serviceNameOrAll === undefined
        ? prepared(this.db, `${BACKEND_SELECT} ORDER BY s.name, b.endpoint`).all()
        : prepared(this.db, `${BACKEND_SELECT} WHERE s.name = ? ORDER BY b.endpoint`).all(serviceNameOrAll);
    return (rows as RawBackend[]).map(toBackend);
  }

  /** Drains with a timeout that has not yet ended them: what the drain timer looks at, usually none. */
  pendingDrainTimeouts(): BackendRow[] {
    const rows = prepared(
      this.db,
      `${BACKEND_SELECT} WHERE b.state = 'drain' AND b.drain_expired = 0 AND b.drain_timeout_ms IS NOT NULL AND b.drain_started_at IS NOT NULL`,
    ).all();
    return (rows as RawBackend[]).map(toBackend);
  }

  /** Backends of services with a health check, with the check: the health checker's targets (from memory, as desired()). */
  healthChecked(): readonly HealthCheckedBackend[] {
    return this.desiredCache.healthChecked();
  }

  /** healthChecked() of the named services only (none for a service not in the store). */
  healthCheckedOf(names: Iterable<string>): readonly HealthCheckedBackend[] {
    return this.desiredCache.healthCheckedOf(names);
  }

  backend(service: string, endpoint: string): BackendRow | undefined {
    const row = prepared(this.db, `${BACKEND_SELECT} WHERE s.name = ? AND b.endpoint = ?`).get(service, endpoint) as RawBackend | undefined;
    return row && toBackend(row);
  }

  backendCountOf(service: string): number {
    return (prepared(this.db, 'SELECT count(*) AS n FROM backends b JOIN services s ON s.id = b.service_id WHERE s.name = ?').get(service) as { n: number }).n;
  }

  backendCount(): number {
    return (prepared(this.db, 'SELECT count(*) AS n FROM backends').get() as { n: number }).n;
  }

  insertBackend(service: ServiceRow, backend: NewBackend, now: number): BackendRow {
    this.desiredCache.touched(service.name);
    const endpoint = formatEndpoint(backend.address, backend.port);
    const draining = backend.state === 'drain';
    prepared(
      this.db,
      `INSERT INTO backends (service_id, endpoint, address, port, weight, state, drain_started_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(service.id, endpoint, backend.address, backend.port, backend.weight, backend.state, draining ? now : null, now, now);
    return this.backend(service.name, endpoint)!;
  }

  /** Returns the row as written, without reading it again (a reweight reads the row once). */
  setWeight(backend: BackendRow, weight: number, now: number): BackendRow {
    this.desiredCache.touched(backend.service);
    prepared(this.db, 'UPDATE backends SET weight = ?, updated_at = ? WHERE id = ?').run(weight, now, backend.id);
    return { ...backend, weight, updatedAt: now };
  }

  /** Entering drain starts its clock (re-draining restarts it); other states clear it. Returns the row as written. */
  setState(backend: BackendRow, state: AdminState, drainTimeoutMs: number | null, now: number): BackendRow {
    this.desiredCache.touched(backend.service);
    const draining = state === 'drain';
    const drainStartedAt = draining ? now : null;
    const timeout = draining ? drainTimeoutMs : null;
    prepared(this.db, `UPDATE backends SET state = ?, drain_started_at = ?, drain_timeout_ms = ?, drain_expired = 0, updated_at = ? WHERE id = ?`).run(
      state,
      drainStartedAt,
      timeout,
      now,
      backend.id,
    );
    return { ...backend, state, drainStartedAt, drainTimeoutMs: timeout, drainExpired: false, updatedAt: now };
  }

  markDrainExpired(backend: BackendRow, now: number): void {
    prepared(this.db, 'UPDATE backends SET drain_expired = 1, updated_at = ? WHERE id = ?').run(now, backend.id);
  }

  deleteBackend(backend: BackendRow): void {
    this.desiredCache.touched(backend.service);
    prepared(this.db, 'DELETE FROM backends WHERE id = ?').run(backend.id);
  }
}
