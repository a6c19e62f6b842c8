/*
 * Bearer token -> identity. Two kinds of token: API tokens (long-lived, by
 * name, e.g. the admin token file) and login sessions (from auth.login,
 * expiring). Only SHA-256 hashes are stored.
 */
import { type Identity, type LoginResult, SluiceError } from '@sluice/api';
import { type Store, dummyPasswordHash, hashToken, newToken, verifyPassword } from '../store/index.js';

/* A console session lasts a working day; the console logs in again after. */
export const SESSION_TTL_MS = 12 * 3600 * 1000;
/*
 * A token's "last used" is written at most this often: it answers "is this
 * token still in use?", and writing it on every call put a database write in
 * front of every API request.
 */
export const TOKEN_TOUCH_INTERVAL_MS = 60 * 1000;

export class Authenticator {
  constructor(
    private readonly store: Store,
    private readonly sessionTtlMs = SESSION_TTL_MS,
  ) {}

  /** The caller behind a bearer token, or null (unknown, revoked or expired). */
  identify(token: string | null | undefined): Identity | null {
    if (!token) return null;
    const hash = hashToken(token);
    const now = Date.now();
    const apiToken = this.store.identities.tokenByHash(hash);
    if (apiToken) {
      if (apiToken.lastUsedAt === null || now - apiToken.lastUsedAt >= TOKEN_TOUCH_INTERVAL_MS) this.store.identities.touchToken(apiToken.name, now);
      return { user: apiToken.name, role: apiToken.role, source: 'token' };
    }
    const session = this.store.identities.session(hash, now);
    if (session) return { user: session.user, role: session.role, source: 'session' };
    return null;
  }

  login(userName: string, password: string): LoginResult {
    const user = this.store.identities.user(userName);
    /* Hash even for an unknown user, so timing does not tell which users exist. */
    const ok = verifyPassword(password, user?.passwordHash ?? dummyPasswordHash()) && user !== undefined;
    if (!ok) throw new SluiceError('UNAUTHENTICATED', 'wrong user name or password');
    const now = Date.now();
    const token = newToken('sls');
    const expiresAt = now + this.sessionTtlMs;
    this.store.transaction(() => {
      this.store.identities.deleteExpiredSessions(now);
      this.store.identities.insertSession(hashToken(token), user.name, now, expiresAt);
    });
    return { token, user: user.name, role: user.role, expiresAt };
  }

  logout(token: string | null): void {
    if (token) this.store.identities.deleteSession(hashToken(token));
  }
}
