/*
 * Statements compiled once per database. Preparing parses and plans the SQL,
 * which costs more than running the small queries the store makes, and one
 * API change runs a dozen of them.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from './database.js';

const caches = new WeakMap<Db, Map<string, Statement>>();

/** db.prepare(sql), compiled on first use and reused after. */
export function prepared(db: Db, sql: string): Statement {
  let cache = caches.get(db);
  if (!cache) {
    cache = new Map();
    caches.set(db, cache);
  }
  let statement = cache.get(sql);
  if (!statement) {
    statement = db.prepare(sql);
    cache.set(sql, statement);
  }
  return statement;
}
