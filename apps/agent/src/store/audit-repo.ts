/* The audit log: append-only, read newest first with a cursor (the last id seen). */
import {
  type AuditEntry,
  type AuditEvents,
  type AuditEventsInput,
  type AuditListInput,
  type AuditPage,
  type Identity,
  NODE_EVENT_ACTIONS,
  SCOPED_EVENT_ACTIONS,
} from '@sluice/api';
import type { Db } from './database.js';
import { prepared } from './statement-cache.js';

export interface AuditRecord {
  action: string;
  target: string;
  before: unknown;
  after: unknown;
}

/* The columns every audit row has, in the order of both INSERTs: at, actor, role, action, target, before, after. */
const json = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));
const auditRow = (actor: Pick<Identity, 'user' | 'role'>, record: AuditRecord, at: number) =>
  [at, actor.user, actor.role, record.action, record.target, json(record.before), json(record.after)] as const;

export class AuditRepo {
  /* Rows this process wrote (a rolled-back one too): a live screen asks for the log again when it grows (stats.live's changes). */
  #appended = 0;

  constructor(private readonly db: Db) {}

  get appended(): number {
    return this.#appended;
  }

  append(actor: Pick<Identity, 'user' | 'role'>, record: AuditRecord, now: number): void {
    prepared(this.db, 'INSERT INTO audit (at, actor, role, action, target, before, after) VALUES (?, ?, ?, ?, ?, ?, ?)').run(...auditRow(actor, record, now));
    this.#appended++;
  }

  /**
   * An entry written by some node of the fleet, copied from the fleet's store under its key
   * there; a key already recorded is skipped (a fleet listed again copies nothing twice).
   */
  appendShared(key: string, actor: Pick<Identity, 'user' | 'role'>, record: AuditRecord, at: number): void {
    const { changes } = prepared(
      this.db,
      'INSERT OR IGNORE INTO audit (at, actor, role, action, target, before, after, fleet_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(...auditRow(actor, record, at), key);
    this.#appended += changes;
  }

  count(): number {
    return (prepared(this.db, 'SELECT count(*) AS n FROM audit').get() as { n: number }).n;
  }

  list(input: AuditListInput): AuditPage {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (input.cursor !== undefined) {
      const before = Number(input.cursor);
      if (Number.isInteger(before)) {
        where.push('id < ?');
        params.push(before);
      }
    }
    if (input.actor) where.push('actor = ?'), params.push(input.actor);
    if (input.action) where.push('action = ?'), params.push(input.action);
    if (input.target) where.push('instr(target, ?) > 0'), params.push(input.target);
    /* limit + 1: the extra row only tells whether there is a next page. */
    const rows = prepared(this.db, `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`).all(
      ...params,
      input.limit + 1,
    ) as any[];
    const items = rows.slice(0, input.limit).map(entryOf);
    const nextCursor = rows.length > input.limit ? String(items[items.length - 1]!.id) : null;
    return { items, nextCursor };
  }

  /*
   * The entries a chart marks in [since, until], the newest `limit` of them,
   * returned oldest first. A service's scope: its own target, its backends'
   * ("SERVICE ENDPOINT") and the node's entries.
   */
  events(input: AuditEventsInput, now: number): AuditEvents {
    const scoped = SCOPED_EVENT_ACTIONS.map(() => '?').join(', ');
    const node = NODE_EVENT_ACTIONS.map(() => '?').join(', ');
    const params: (string | number)[] = [input.since, input.until ?? now];
    /*
     * `+action`: not the action index. Without table statistics SQLite takes it for the
     * more selective one and walks every entry of those actions ever written (230 ms at
     * 300k entries); the time index reads only the range (4 ms).
     */
    let which = `+action IN (${scoped}, ${node})`;
    params.push(...SCOPED_EVENT_ACTIONS, ...NODE_EVENT_ACTIONS);
    if (input.service !== undefined) {
      which = `((+action IN (${scoped}) AND (target = ? OR substr(target, 1, ?) = ?)) OR +action IN (${node}))`;
      params.splice(2);
      params.push(...SCOPED_EVENT_ACTIONS, input.service, input.service.length + 1, `${input.service} `, ...NODE_EVENT_ACTIONS);
    }
    const rows = prepared(this.db, `SELECT * FROM audit WHERE at BETWEEN ? AND ? AND ${which} ORDER BY id DESC LIMIT ?`).all(
      ...params,
      input.limit + 1,
    ) as any[];
    return { items: rows.slice(0, input.limit).reverse().map(entryOf), truncated: rows.length > input.limit };
  }
}

function entryOf(r: any): AuditEntry {
  return {
    id: r.id,
    at: r.at,
    actor: r.actor,
    role: r.role,
    action: r.action,
    target: r.target,
    before: r.before === null ? null : JSON.parse(r.before),
    after: r.after === null ? null : JSON.parse(r.after),
  };
}
