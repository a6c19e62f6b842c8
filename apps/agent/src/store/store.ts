/*
 * The agent's persistent state: desired services and backends, identities,
 * audit log, in one SQLite database. Repositories do single statements;
 * callers group them with `transaction()` so a change and its audit row
 * land together or not at all.
 */
import type { ConfigDocument } from '@sluice/api';
import { AuditRepo } from './audit-repo.js';
import { BackendHostsRepo } from './backend-hosts-repo.js';
import { type Db, openDatabase } from './database.js';
import { IdentitiesRepo } from './identities-repo.js';
import { ServicesRepo } from './services-repo.js';

export class Store {
  readonly db: Db;
  readonly services: ServicesRepo;
  readonly identities: IdentitiesRepo;
  readonly audit: AuditRepo;
  readonly backendHosts: BackendHostsRepo;

  constructor(readonly dataDir: string | ':memory:') {
    this.db = openDatabase(dataDir);
    this.services = new ServicesRepo(this.db);
    this.identities = new IdentitiesRepo(this.db);
    this.audit = new AuditRepo(this.db);
    this.backendHosts = new BackendHostsRepo(this.db);
  }

  /**
   * Runs fn in one transaction; a throw rolls everything back. Nests as a
   * savepoint. The services repository's desired state in memory follows a
   * rollback (what the transaction wrote is read again).
   */
  transaction<T>(fn: () => T): T {
    if (!this.db.inTransaction) this.services.transactionStarts();
    try {
      return this.db.transaction(fn)();
    } catch (error) {
      this.services.rolledBack();
      throw error;
    }
  }

  /** The declarative configuration file's content. */
  exportConfig(): ConfigDocument {
    const backends = this.services.backends();
    return {
      version: 1,
      services: this.services.list().map((service) => ({
        address: service.address,
        port: service.port,
        protocol: service.protocol,
        algorithm: service.algorithm,
        mode: service.mode,
        /* Written only when set: a document without it means no limit, as before the setting existed. */
        ...(service.clientRate ? { clientRate: service.clientRate } : {}),
        healthCheck: service.healthCheck,
        backends: backends.filter((b) => b.serviceId === service.id).map((b) => ({ address: b.address, port: b.port, weight: b.weight, state: b.state })),
      })),
    };
  }

  isEmpty(): boolean {
    return this.services.count() === 0;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
