/*
 * Bearer token -> identity. Two kinds of token: API tokens (long-lived, by
 * name, e.g. the admin token file) and login sessions (from auth.login).
 * Only SHA-256 hashes are stored.
 *
 * Sessions end at the first of: the absolute expiry (SESSION_TTL_MS from
 * login), the idle expiry (SESSION_IDLE_MS without a request), logout, or a
 * change to the user. Every login issues a new token and ends the session
 * token it was sent with, so an id planted before login is worth nothing.
 *
 * Logins are throttled per user and per source (login-throttle.ts); failed
 * logins, locks and unlocks go to the audit log. Password checks run one at
 * a time, off the event loop (passwords.ts): each attempt is judged by the
 * throttle after the previous one's outcome is counted, so parallel guesses
 * gain nothing, and a login flood takes one thread of the pool, never the
 * loop. At most MAX_WAITING_PASSWORD_CHECKS wait; more are refused at once.
 */
import {
  type ChangePasswordInput,
  type ChangePasswordResult,
  type Identity,
  type LoginAttempt,
  type LoginResult,
  SESSION_IDLE_MS,
  SESSION_TTL_MS,
  SluiceError,
  invalid,
} from '@sluice/api';
import { type Store, dummyPasswordHash, hashPassword, hashToken, newToken, verifyPassword } from '../store/index.js';
import { type IdentityCommit, localIdentityCommit } from './identity-commit.js';
import { LoginThrottle, type ThrottleKind } from './login-throttle.js';

/*
 * A token's "last used" is written at most this often: it answers "is this
 * token still in use?", and writing it on every call put a database write in
 * front of every API request.
 */
export const TOKEN_TOUCH_INTERVAL_MS = 60 * 1000;
/* Likewise a session's "last seen": the idle expiry is exact to within this. */
export const SESSION_TOUCH_INTERVAL_MS = 60 * 1000;

/* Password checks queued behind the one running; beyond this a login is refused to retry in a second. */
export const MAX_WAITING_PASSWORD_CHECKS = 32;

/* Who the audit log names for a login attempt: the caller has no identity yet. */
const LOGIN_ACTOR = { user: '(login)', role: 'none' } as unknown as Identity;

export interface AuthenticatorOptions {
  sessionTtlMs?: number;
  sessionIdleMs?: number;
  throttle?: LoginThrottle;
  /** Password checks that may wait behind the running one (MAX_WAITING_PASSWORD_CHECKS). */
  maxWaitingChecks?: number;
  /** The clock: tests move it instead of sleeping. */
  now?: () => number;
}

export class Authenticator {
  private readonly sessionTtlMs: number;
  private readonly sessionIdleMs: number;
  private readonly throttle: LoginThrottle;
  readonly now: () => number;
  /* The password check running now (and those queued behind it), and how many wait. */
  #passwordChecks: Promise<unknown> = Promise.resolve();
  #waitingChecks = 0;
  readonly #maxWaitingChecks: number;

  constructor(
    private readonly store: Store,
    options: AuthenticatorOptions = {},
    /* A new password is a change to the user: in a fleet it goes to every node (auth/identity-commit.ts). */
    private readonly commit: IdentityCommit = localIdentityCommit(store),
  ) {
    this.sessionTtlMs = options.sessionTtlMs ?? SESSION_TTL_MS;
    this.sessionIdleMs = options.sessionIdleMs ?? SESSION_IDLE_MS;
    this.throttle = options.throttle ?? new LoginThrottle();
    this.#maxWaitingChecks = options.maxWaitingChecks ?? MAX_WAITING_PASSWORD_CHECKS;
    this.now = options.now ?? Date.now;
  }

  /** The caller behind a bearer token, or null (unknown, revoked or expired). */
  identify(token: string | null | undefined): Identity | null {
    if (!token) return null;
    const hash = hashToken(token);
    const now = this.now();
    const apiToken = this.store.identities.tokenByHash(hash);
    if (apiToken) {
      if (apiToken.lastUsedAt === null || now - apiToken.lastUsedAt >= TOKEN_TOUCH_INTERVAL_MS) this.store.identities.touchToken(apiToken.name, now);
      return { user: apiToken.name, role: apiToken.role, source: 'token' };
    }
    const session = this.store.identities.session(hash, now);
    if (!session) return null;
    if (now - session.lastSeenAt >= this.sessionIdleMs) {
      this.store.identities.deleteSession(hash);
      return null;
    }
    if (now - session.lastSeenAt >= SESSION_TOUCH_INTERVAL_MS) this.store.identities.touchSession(hash, now);
    return { user: session.user, role: session.role, source: 'session' };
  }

  login(userName: string, password: string, attempt: LoginAttempt): Promise<LoginResult> {
    return this.#oneAtATime(() => this.#login(userName, password, attempt));
  }

  /* Runs a password check after the ones before it have ended (passed or failed). */
  #oneAtATime<T>(check: () => Promise<T>): Promise<T> {
    if (this.#waitingChecks >= this.#maxWaitingChecks)
      return Promise.reject(
        new SluiceError('RATE_LIMITED', `${this.#maxWaitingChecks} password checks are waiting already: try again in 1 s`, { retryAfterSeconds: 1 }),
      );
    this.#waitingChecks++;
    const run = this.#passwordChecks.then(() => {
      this.#waitingChecks--;
      return check();
    });
    this.#passwordChecks = run.catch(() => undefined);
    return run;
  }

  async #login(userName: string, password: string, attempt: LoginAttempt): Promise<LoginResult> {
    const now = this.now();
    this.auditEndedLocks(now);
    const waitMs = this.throttle.waitMs(userName, attempt.source, now);
    /* Refused before the password is looked at: a locked key gives no oracle, and the message is the same for every name. */
    if (waitMs > 0) throw rateLimited(waitMs);

    const user = this.store.identities.user(userName);
    /* Hash even for an unknown user, so timing does not tell which users exist. */
    const matches = await verifyPassword(password, user?.passwordHash ?? (await dummyPasswordHash()));
    /* The user may have been removed or given another password while the hash ran. */
    const ok = matches && user !== undefined && this.store.identities.user(userName)?.passwordHash === user.passwordHash;
    if (!ok) {
      /* The wait runs from when the answer goes out, not from the start of the (slow, scrypt) check. */
      const failedAt = this.now();
      const outcome = this.throttle.fail(userName, attempt.source, failedAt);
      this.store.transaction(() => {
        this.store.audit.append(
          LOGIN_ACTOR,
          {
            action: 'auth.loginFailed',
            target: userName,
            before: null,
            after: { source: attempt.source, userFailures: outcome.user.failures, sourceFailures: outcome.source.failures },
          },
          failedAt,
        );
        for (const kind of ['user', 'source'] as const)
          if (outcome[kind].lockedNow)
            this.store.audit.append(
              LOGIN_ACTOR,
              {
                action: 'auth.loginLocked',
                target: kind === 'user' ? userName : attempt.source,
                before: null,
                after: { kind, failures: outcome[kind].failures, lockedUntil: outcome[kind].lockedUntil },
              },
              failedAt,
            );
      });
      const retryMs = Math.max(outcome.user.waitMs, outcome.source.waitMs);
      throw new SluiceError('UNAUTHENTICATED', 'wrong user name or password', retryMs > 0 ? { retryAfterSeconds: Math.ceil(retryMs / 1000) } : {});
    }

    this.throttle.succeed(userName);
    const token = newToken('sls');
    const expiresAt = now + this.sessionTtlMs;
    this.store.transaction(() => {
      this.store.identities.deleteExpiredSessions(now);
      /* Rotation: the session this login replaces ends now (an API token sent along is left alone). */
      if (attempt.previousToken) this.store.identities.deleteSession(hashToken(attempt.previousToken));
      this.store.identities.insertSession(hashToken(token), user.name, now, expiresAt);
    });
    return { token, user: user.name, role: user.role, expiresAt };
  }

  logout(token: string | null): void {
    if (token) this.store.identities.deleteSession(hashToken(token));
  }

  /**
   * A logged-in user's own password. The current password is checked like a
   * login (a wrong one counts toward the user's lock), so a console left
   * logged in is not enough to take the account over. The user's other
   * sessions end; the one that asked goes on. Audited as the user.
   */
  changePassword(token: string | null, input: ChangePasswordInput, caller: Identity): Promise<ChangePasswordResult> {
    return this.#oneAtATime(() => this.#changePassword(token, input, caller));
  }

  async #changePassword(token: string | null, input: ChangePasswordInput, caller: Identity): Promise<ChangePasswordResult> {
    if (caller.source !== 'session' || !token)
      throw invalid(`${caller.user} is an API token, which has no password; log in as a user to change that user's password`, { token: caller.user });
    const now = this.now();
    /* Failures are counted for the user, and under a source of their own so the user's logins from elsewhere are not blamed. */
    const source = `password change by ${caller.user}`;
    const waitMs = this.throttle.waitMs(caller.user, source, now);
    if (waitMs > 0) throw rateLimited(waitMs);
    const user = this.store.identities.user(caller.user);
    if (!user || !(await verifyPassword(input.currentPassword, user.passwordHash))) {
      this.throttle.fail(caller.user, source, this.now());
      this.store.transaction(() =>
        this.store.audit.append(
          caller,
          { action: 'auth.changePasswordFailed', target: caller.user, before: null, after: { reason: 'wrong current password' } },
          now,
        ),
      );
      throw invalid('the current password is wrong; nothing was changed', { user: caller.user });
    }
    if (input.newPassword === input.currentPassword) throw invalid('the new password is the same as the current one; choose another', { user: caller.user });
    const passwordHash = await hashPassword(input.newPassword);
    this.throttle.succeed(caller.user);
    const kept = { user: caller.user, tokenHash: hashToken(token) };
    /* The sessions this node ends; in a fleet every other node ends all of the user's (the asking session is with this one). */
    const sessionsEnded = await this.commit(
      caller,
      () => {
        this.store.identities.updateUser(caller.user, { passwordHash }, now);
        const ended = this.store.identities.deleteSessionsOfExcept(caller.user, kept.tokenHash);
        return {
          result: ended,
          audit: [{ action: 'auth.changePassword', target: caller.user, before: null, after: { user: caller.user, sessionsEnded: ended } }],
        };
      },
      { at: now, keepSession: kept },
    );
    return { user: caller.user, sessionsEnded };
  }

  /** An admin ends a lock early; audited as the admin. Returns, per key named, whether there was anything to clear. */
  unlock(keys: { user?: string; source?: string }, caller: Identity): { user: boolean | null; source: boolean | null } {
    const now = this.now();
    const result = {
      user: keys.user === undefined ? null : this.throttle.clear('user', keys.user),
      source: keys.source === undefined ? null : this.throttle.clear('source', keys.source),
    };
    this.store.transaction(() => {
      for (const kind of ['user', 'source'] as const)
        if (result[kind])
          this.store.audit.append(caller, { action: 'auth.loginUnlocked', target: keys[kind]!, before: null, after: { kind, by: 'admin' } }, now);
    });
    return result;
  }

  /* Locks end on their own; the audit log records that when the agent next looks (at a login attempt). */
  private auditEndedLocks(now: number): void {
    const ended = this.throttle.sweep(now);
    if (ended.length === 0) return;
    this.store.transaction(() => {
      for (const { kind, key } of ended)
        this.store.audit.append(
          LOGIN_ACTOR,
          { action: 'auth.loginUnlocked', target: key, before: null, after: { kind: kind satisfies ThrottleKind, by: 'expiry' } },
          now,
        );
    });
  }
}

function rateLimited(waitMs: number): SluiceError {
  const seconds = Math.ceil(waitMs / 1000);
  return new SluiceError(
    'RATE_LIMITED',
    `too many failed logins for this user or from this address: try again in ${seconds} s, or ask an admin to unlock it (sluice user unlock)`,
    { retryAfterSeconds: seconds },
  );
}
