/*
 * The desired state (services and backends, the fields the reconciler and
 * the health checker use) kept in memory beside SQLite. Every write of the
 * services repository names the service it touched; only those are read
 * again, so a change costs the same with 1 service or 256 (issue 14: a
 * reweight used to read and compare the whole configuration). A transaction
 * that rolls back makes what it touched be read again. An unchanged service
 * stays the same frozen object, so a reader can tell what changed by identity.
 */
import type { AdminState, Algorithm, ForwardingMode, HealthCheckSpec, Protocol, ServiceSpec } from '@sluice/api';
import type { Db } from './database.js';
import { prepared } from './statement-cache.js';
import type { RawService } from './services-repo.js';

/** A backend of a service with a health check: one health checker target. */
export interface HealthCheckedBackend {
  service: string;
  endpoint: string;
  address: string;
  port: number;
  check: HealthCheckSpec;
  vip: string;
  vipPort: number;
  mode: ForwardingMode;
}

type ServiceRow = Omit<RawService, 'created_at' | 'updated_at'>;

interface BackendRow {
  service_id: number;
  endpoint: string;
  address: string;
  port: number;
  weight: number;
  state: string;
}

interface Cached {
  spec: ServiceSpec;
  healthChecked: readonly HealthCheckedBackend[];
}

const SERVICE_COLUMNS = 'id, name, address, port, protocol, algorithm, mode, client_rate, health_check';
const BACKEND_COLUMNS = 'service_id, endpoint, address, port, weight, state';

function cachedOf(s: ServiceRow, backends: BackendRow[]): Cached {
  const spec: ServiceSpec = Object.freeze({
    address: s.address,
    port: s.port,
    protocol: s.protocol as Protocol,
    algorithm: s.algorithm as Algorithm,
    mode: s.mode as ForwardingMode,
    clientRate: s.client_rate,
    backends: Object.freeze(
      backends.map((b) => Object.freeze({ address: b.address, port: b.port, weight: b.weight, state: b.state as AdminState })),
    ) as ServiceSpec['backends'],
  });
  const check = JSON.parse(s.health_check) as HealthCheckSpec;
  const healthChecked =
    check.type === 'none'
      ? []
      : backends.map((b) =>
          Object.freeze({
            service: s.name,
            endpoint: b.endpoint,
            address: b.address,
            port: b.port,
            check,
            vip: s.address,
            vipPort: s.port,
            mode: s.mode as ForwardingMode,
          }),
        );
  return { spec, healthChecked: Object.freeze(healthChecked) };
}

export class DesiredCache {
  /** By service name; undefined until the first read (and after reload()). */
  private services: Map<string, Cached> | undefined;
  /** Names in name order (SQLite's ORDER BY name, i.e. by bytes), or undefined when a service came or went. */
  private order: string[] | undefined;
  /** Written since last read into `services`. */
  private readonly stale = new Set<string>();
  /** Written since the last takeChanged(). */
  private readonly changed = new Set<string>();
  /** Written since the outermost transaction began: what a rollback makes stale again. */
  private readonly inTransaction = new Set<string>();

  constructor(private readonly db: Db) {}

  touched(name: string): void {
    this.stale.add(name);
    this.changed.add(name);
    this.inTransaction.add(name);
  }

  transactionStarts(): void {
    this.inTransaction.clear();
  }

  rolledBack(): void {
    for (const name of this.inTransaction) {
      this.stale.add(name);
      this.changed.add(name);
    }
  }

  takeChanged(): Set<string> {
    const names = new Set(this.changed);
    this.changed.clear();
    return names;
  }

  reload(): void {
    this.services = undefined;
    this.order = undefined;
    this.stale.clear();
  }

  all(): ServiceSpec[] {
    const services = this.fresh();
    this.order ??= [...services.keys()].sort(byBytes);
    return this.order.map((name) => services.get(name)!.spec);
  }

  of(names: Iterable<string>): Map<string, ServiceSpec | undefined> {
    const services = this.fresh();
    return new Map([...names].map((name) => [name, services.get(name)?.spec]));
  }

  healthChecked(): HealthCheckedBackend[] {
    const services = this.fresh();
    this.order ??= [...services.keys()].sort(byBytes);
    return this.order.flatMap((name) => services.get(name)!.healthChecked);
  }

  healthCheckedOf(names: Iterable<string>): HealthCheckedBackend[] {
    const services = this.fresh();
    return [...names].flatMap((name) => services.get(name)?.healthChecked ?? []);
  }

  /** The map with every stale service read again (the first call reads them all, in two queries). */
  private fresh(): Map<string, Cached> {
    if (!this.services) {
      this.services = this.readAll();
      this.order = undefined;
      this.stale.clear();
    }
    for (const name of this.stale) {
      const service = prepared(this.db, `SELECT ${SERVICE_COLUMNS} FROM services WHERE name = ?`).get(name) as ServiceRow | undefined;
      const had = this.services.has(name);
      if (!service) {
        this.services.delete(name);
        if (had) this.order = undefined;
        continue;
      }
      const backends = prepared(this.db, `SELECT ${BACKEND_COLUMNS} FROM backends WHERE service_id = ? ORDER BY endpoint`).all(service.id) as BackendRow[];
      this.services.set(name, cachedOf(service, backends));
      if (!had) this.order = undefined;
    }
    this.stale.clear();
    return this.services;
  }

  private readAll(): Map<string, Cached> {
    const services = prepared(this.db, `SELECT ${SERVICE_COLUMNS} FROM services ORDER BY name`).all() as ServiceRow[];
    const rows = prepared(this.db, `SELECT ${BACKEND_COLUMNS} FROM backends ORDER BY service_id, endpoint`).all() as BackendRow[];
    const byService = new Map<number, BackendRow[]>(services.map((s) => [s.id, []]));
    for (const b of rows) byService.get(b.service_id)?.push(b);
    return new Map(services.map((s) => [s.name, cachedOf(s, byService.get(s.id)!)]));
  }
}

/* SQLite orders text by its bytes (BINARY collation); names are ASCII, so code units order the same. */
const byBytes = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
