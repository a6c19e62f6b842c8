/* Users (with password hashes), their login sessions, and API tokens. */
import type { Role } from '@sluice/api';
import type { Db } from './database.js';
import { prepared } from './statement-cache.js';

export interface UserRow {
  name: string;
  role: Role;
  passwordHash: string;
  createdAt: number;
  updatedAt: number;
}

export interface TokenRow {
  name: string;
  role: Role;
  tokenHash: string;
  /** null: the agent's own (the admin token file) or created before this was recorded. */
  createdBy: string | null;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface SessionRow {
  tokenHash: string;
  user: string;
  role: Role;
  expiresAt: number;
  lastSeenAt: number;
}

const toUser = (r: any): UserRow => ({ name: r.name, role: r.role, passwordHash: r.password_hash, createdAt: r.created_at, updatedAt: r.updated_at });
const toToken = (r: any): TokenRow => ({
  name: r.name,
  role: r.role,
  tokenHash: r.token_hash,
  createdBy: r.created_by,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
});

export class IdentitiesRepo {
  constructor(private readonly db: Db) {}

  /* ---- users ---- */
  users(): UserRow[] {
    return prepared(this.db, 'SELECT * FROM users ORDER BY name').all().map(toUser);
  }
  user(name: string): UserRow | undefined {
    const row = prepared(this.db, 'SELECT * FROM users WHERE name = ?').get(name);
    return row ? toUser(row) : undefined;
  }
  insertUser(name: string, role: Role, passwordHash: string, now: number): UserRow {
    prepared(this.db, 'INSERT INTO users (name, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?)').run(name, role, passwordHash, now, now);
    return this.user(name)!;
  }
  updateUser(name: string, changes: { role?: Role; passwordHash?: string }, now: number): UserRow {
    const current = this.user(name)!;
    prepared(this.db, 'UPDATE users SET role = ?, password_hash = ?, updated_at = ? WHERE name = ?').run(
      changes.role ?? current.role,
      changes.passwordHash ?? current.passwordHash,
      now,
      name,
    );
    return this.user(name)!;
  }
  /** Insert or replace with every field given (a fleet node's copy of a user). */
  putUser(user: UserRow): void {
    prepared(
      this.db,
      `INSERT INTO users (name, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash,
           created_at = excluded.created_at, updated_at = excluded.updated_at`,
    ).run(user.name, user.role, user.passwordHash, user.createdAt, user.updatedAt);
  }
  deleteUser(name: string): void {
    prepared(this.db, 'DELETE FROM users WHERE name = ?').run(name);
  }
  adminCount(): number {
    return (prepared(this.db, "SELECT count(*) AS n FROM users WHERE role = 'admin'").get() as { n: number }).n;
  }

  /* ---- sessions ---- */
  insertSession(tokenHash: string, user: string, now: number, expiresAt: number): void {
    prepared(this.db, 'INSERT INTO sessions (token_hash, user, created_at, expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?)').run(
      tokenHash,
      user,
      now,
      expiresAt,
      now,
    );
  }
  touchSession(tokenHash: string, now: number): void {
    prepared(this.db, 'UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?').run(now, tokenHash);
  }
  session(tokenHash: string, now: number): SessionRow | undefined {
    const row = prepared(
      this.db,
      'SELECT s.token_hash, s.user, s.expires_at, s.last_seen_at, u.role FROM sessions s JOIN users u ON u.name = s.user WHERE s.token_hash = ? AND s.expires_at > ?',
    ).get(tokenHash, now) as any;
    return row ? { tokenHash: row.token_hash, user: row.user, role: row.role, expiresAt: row.expires_at, lastSeenAt: row.last_seen_at } : undefined;
  }
  deleteSession(tokenHash: string): void {
    prepared(this.db, 'DELETE FROM sessions WHERE token_hash = ?').run(tokenHash);
  }
  deleteSessionsOf(user: string): void {
    prepared(this.db, 'DELETE FROM sessions WHERE user = ?').run(user);
  }
  /** Ends every session of the user but the one given; returns how many ended. */
  deleteSessionsOfExcept(user: string, keepTokenHash: string): number {
    return Number(prepared(this.db, 'DELETE FROM sessions WHERE user = ? AND token_hash <> ?').run(user, keepTokenHash).changes);
  }
  deleteExpiredSessions(now: number): void {
    prepared(this.db, 'DELETE FROM sessions WHERE expires_at <= ?').run(now);
  }

  /* ---- API tokens ---- */
  tokens(): TokenRow[] {
    return prepared(this.db, 'SELECT * FROM api_tokens ORDER BY name').all().map(toToken);
  }
  token(name: string): TokenRow | undefined {
    const row = prepared(this.db, 'SELECT * FROM api_tokens WHERE name = ?').get(name);
    return row ? toToken(row) : undefined;
  }
  tokenByHash(tokenHash: string): TokenRow | undefined {
    const row = prepared(this.db, 'SELECT * FROM api_tokens WHERE token_hash = ?').get(tokenHash);
    return row ? toToken(row) : undefined;
  }
  /** Insert or replace by name (the admin token file re-registers itself this way). */
  putToken(name: string, role: Role, tokenHash: string, now: number, createdBy: string | null = null): TokenRow {
    prepared(
      this.db,
      `INSERT INTO api_tokens (name, role, token_hash, created_at, created_by) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET role = excluded.role, token_hash = excluded.token_hash, created_at = excluded.created_at,
           created_by = excluded.created_by, last_used_at = NULL`,
    ).run(name, role, tokenHash, now, createdBy);
    return this.token(name)!;
  }
  /** Insert or replace a fleet node's copy of a token; its last use here stays while the token is the same one. */
  putSharedToken(token: Omit<TokenRow, 'lastUsedAt'>): void {
    prepared(
      this.db,
      `INSERT INTO api_tokens (name, role, token_hash, created_at, created_by) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET role = excluded.role, token_hash = excluded.token_hash, created_at = excluded.created_at,
           created_by = excluded.created_by,
           last_used_at = CASE WHEN api_tokens.token_hash = excluded.token_hash THEN api_tokens.last_used_at ELSE NULL END`,
    ).run(token.name, token.role, token.tokenHash, token.createdAt, token.createdBy);
  }
  touchToken(name: string, now: number): void {
    prepared(this.db, 'UPDATE api_tokens SET last_used_at = ? WHERE name = ?').run(now, name);
  }
  deleteToken(name: string): void {
    prepared(this.db, 'DELETE FROM api_tokens WHERE name = ?').run(name);
  }
}
