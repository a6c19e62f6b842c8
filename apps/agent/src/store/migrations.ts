/*
 * Schema migrations, applied in order; PRAGMA user_version records how far a
 * database got. Append only: a released migration is never edited.
 */
export const MIGRATIONS: readonly string[] = [
  /* 1: desired state, identities, audit. */
  `
  CREATE TABLE services (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,          -- "VIP:PORT/PROTO", canonical
    address      TEXT NOT NULL,
    port         INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
    protocol     TEXT NOT NULL CHECK (protocol IN ('tcp', 'udp')),
    algorithm    TEXT NOT NULL,
    mode         TEXT NOT NULL,
    health_check TEXT NOT NULL,                 -- JSON HealthCheckSpec
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE backends (
    id               INTEGER PRIMARY KEY,
    service_id       INTEGER NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    endpoint         TEXT NOT NULL,             -- "ADDR:PORT", canonical
    address          TEXT NOT NULL,
    port             INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
    weight           INTEGER NOT NULL CHECK (weight BETWEEN 1 AND 65535),
    state            TEXT NOT NULL CHECK (state IN ('ready', 'drain', 'maint')),
    drain_started_at INTEGER,
    drain_timeout_ms INTEGER,
    drain_expired    INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (service_id, endpoint)
  ) STRICT;

  CREATE TABLE users (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    password_hash TEXT NOT NULL,                -- scrypt$N$r$p$salt$key
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,                -- sha256 of the bearer token
    user       TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  ) STRICT;

  CREATE TABLE api_tokens (
    name         TEXT PRIMARY KEY,
    role         TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
  ) STRICT;

  CREATE TABLE audit (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at     INTEGER NOT NULL,
    actor  TEXT NOT NULL,
    role   TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    before TEXT,                                -- JSON or NULL
    after  TEXT                                 -- JSON or NULL
  ) STRICT;
  CREATE INDEX audit_by_actor ON audit(actor, id);
  CREATE INDEX audit_by_action ON audit(action, id);
  ` /* 2: sessions get an idle expiry (last seen); tokens record who created them. */,
  `
  ALTER TABLE sessions ADD COLUMN last_seen_at INTEGER NOT NULL DEFAULT 0;
  UPDATE sessions SET last_seen_at = created_at;
  ALTER TABLE api_tokens ADD COLUMN created_by TEXT;
  `,
  /* 3: a service's limit of new connections per client address per second (0: none). */
  `
  ALTER TABLE services ADD COLUMN client_rate INTEGER NOT NULL DEFAULT 0 CHECK (client_rate BETWEEN 0 AND 1000000);
  `,
  /* 4: backend hosts' own check reports (sluice backend-host report), found by any of the host's addresses. */
  `
  CREATE TABLE backend_host_reports (
    host        TEXT PRIMARY KEY,               -- the host's canonical addresses, sorted, space-separated
    report      TEXT NOT NULL,                  -- JSON BackendHostReport
    checked_at  INTEGER NOT NULL,
    reported_at INTEGER NOT NULL,
    reported_by TEXT NOT NULL
  ) STRICT;
  CREATE TABLE backend_host_addresses (
    address TEXT PRIMARY KEY,
    host    TEXT NOT NULL REFERENCES backend_host_reports(host) ON DELETE CASCADE
  ) STRICT;
  `,
  /*
   * 5: chart markers read the audit log by time (audit.events: the last hour of a long log);
   * without this the newest-first walk of the action index reads every older entry of those actions.
   */
  `
  CREATE INDEX audit_by_time ON audit(at);
  `,
  /*
   * 6: an audit entry copied from the fleet's store (etcd) carries its key there, so a node that
   * lists the fleet again (restart, compaction) records each shared entry once.
   */
  `
  ALTER TABLE audit ADD COLUMN fleet_key TEXT;
  CREATE UNIQUE INDEX audit_by_fleet_key ON audit(fleet_key) WHERE fleet_key IS NOT NULL;
  `,
];
