/*
 * The SQLite file under the data directory: WAL (readers never block the
 * writer, and a crash loses no committed transaction), foreign keys on,
 * migrations applied at open.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations.js';

export const DEFAULT_DATA_DIR = '/var/lib/sluice';
export const DATABASE_FILE = 'sluice.db';

export type Db = Database.Database;

/** Opens (creating if needed) `<dataDir>/sluice.db`; ':memory:' for a throwaway store. */
export function openDatabase(dataDir: string | ':memory:'): Db {
  let db: Db;
  if (dataDir === ':memory:') {
    db = new Database(':memory:');
  } else {
    /* Password hashes and token hashes live here: root only. */
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const path = join(dataDir, DATABASE_FILE);
    db = new Database(path);
    chmodSync(path, 0o600);
  }
  db.pragma('journal_mode = WAL');
  /* NORMAL is durable in WAL mode except across power loss; the maps are the live truth anyway. */
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length)
    throw new Error(`database schema version ${current} is newer than this agent knows (${MIGRATIONS.length}); upgrade the agent`);
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]!);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
