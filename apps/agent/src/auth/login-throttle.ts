/*
 * Failed-login throttle, per user name and per source address, so that
 * nobody gets in by guessing: after a few free failures each further one
 * doubles the wait before the next attempt, and at the lock threshold the
 * key is locked outright for a while (the OWASP / NIST 800-63B §5.2.2
 * pattern: slow down, then lock, never forever).
 *
 * Counted by the name as typed, whether or not such a user exists, so a
 * lock answers the same for both and tells nothing about who exists.
 *
 * Per user stops guessing one account from many addresses; per source
 * stops one address trying many accounts (password spraying). A source is
 * allowed more failures than a user because many people can share one
 * address (an office NAT).
 *
 * State lives in the agent's memory: a restart forgets failures and locks.
 * That is accepted: restarting the agent needs root, and the data plane
 * keeps forwarding meanwhile; SQLite would add a write to every failure for
 * little gain. Memory is bounded (MAX_TRACKED_KEYS per kind).
 */

export interface ThrottlePolicy {
  /** Failures with no wait after them (typos happen). */
  freeFailures: number;
  /** The wait after the first counted failure; each further failure doubles it. */
  baseDelayMs: number;
  /** The doubling stops here. */
  maxDelayMs: number;
  /** This many failures lock the key. */
  lockAfterFailures: number;
  lockMs: number;
  /** Failures are forgotten after this long without a new one (and no lock). */
  forgetAfterMs: number;
}

const MINUTE = 60_000;

/* 5 failures lock a user for 15 minutes: the common default (e.g. Keycloak's brute-force detection, AD lockout). */
export const USER_THROTTLE: ThrottlePolicy = {
  freeFailures: 2,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  lockAfterFailures: 5,
  lockMs: 15 * MINUTE,
  forgetAfterMs: 15 * MINUTE,
};

/* An address may fail four times as often before its lock: several users behind one NAT mistype too. */
export const SOURCE_THROTTLE: ThrottlePolicy = {
  freeFailures: 5,
  baseDelayMs: 1_000,
  maxDelayMs: 30_000,
  lockAfterFailures: 20,
  lockMs: 15 * MINUTE,
  forgetAfterMs: 15 * MINUTE,
};

/* Bounds memory when names or addresses are sprayed; locked keys are the last to be dropped. */
export const MAX_TRACKED_KEYS = 10_000;

export type ThrottleKind = 'user' | 'source';

interface KeyState {
  failures: number;
  lastFailureAt: number;
  /** When the next attempt is allowed (backoff or lock). */
  notBefore: number;
  lockedUntil: number | null;
}

export interface FailureOutcome {
  failures: number;
  /** Milliseconds until the next attempt is allowed (0: at once). */
  waitMs: number;
  /** This failure started a lock. */
  lockedNow: boolean;
  lockedUntil: number | null;
}

class KeyThrottle {
  private readonly keys = new Map<string, KeyState>();

  constructor(
    private readonly policy: ThrottlePolicy,
    private readonly maxKeys: number,
  ) {}

  waitMs(key: string, now: number): number {
    const state = this.keys.get(key);
    return state ? Math.max(0, state.notBefore - now) : 0;
  }

  fail(key: string, now: number): FailureOutcome {
    const state = this.keys.get(key) ?? this.insert(key);
    state.failures += 1;
    state.lastFailureAt = now;
    const { policy } = this;
    const lockedNow = state.lockedUntil === null && state.failures >= policy.lockAfterFailures;
    if (lockedNow) state.lockedUntil = now + policy.lockMs;
    const counted = state.failures - policy.freeFailures;
    const backoff = counted > 0 ? Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (counted - 1)) : 0;
    state.notBefore = Math.max(state.lockedUntil ?? 0, now + backoff);
    return { failures: state.failures, waitMs: state.notBefore - now, lockedNow, lockedUntil: state.lockedUntil };
  }

  clear(key: string): boolean {
    return this.keys.delete(key);
  }

  /** Drops ended locks and stale failure counts; returns the keys whose lock ended. */
  sweep(now: number): string[] {
    const unlocked: string[] = [];
    for (const [key, state] of this.keys) {
      if (state.lockedUntil !== null) {
        if (state.lockedUntil > now) continue;
        unlocked.push(key);
        this.keys.delete(key);
      } else if (now - state.lastFailureAt >= this.policy.forgetAfterMs) {
        this.keys.delete(key);
      }
    }
    return unlocked;
  }

  private insert(key: string): KeyState {
    if (this.keys.size >= this.maxKeys) {
      let victim: string | undefined;
      for (const [k, s] of this.keys)
        if (s.lockedUntil === null) {
          victim = k;
          break;
        }
      this.keys.delete(victim ?? this.keys.keys().next().value!);
    }
    const state: KeyState = { failures: 0, lastFailureAt: 0, notBefore: 0, lockedUntil: null };
    this.keys.set(key, state);
    return state;
  }
}

export class LoginThrottle {
  private readonly byKind: Record<ThrottleKind, KeyThrottle>;

  constructor(policies: Record<ThrottleKind, ThrottlePolicy> = { user: USER_THROTTLE, source: SOURCE_THROTTLE }, maxKeys = MAX_TRACKED_KEYS) {
    this.byKind = { user: new KeyThrottle(policies.user, maxKeys), source: new KeyThrottle(policies.source, maxKeys) };
  }

  /** How long this user from this source must still wait (0: may try now). */
  waitMs(user: string, source: string, now: number): number {
    return Math.max(this.byKind.user.waitMs(userKey(user), now), this.byKind.source.waitMs(source, now));
  }

  fail(user: string, source: string, now: number): Record<ThrottleKind, FailureOutcome> {
    return { user: this.byKind.user.fail(userKey(user), now), source: this.byKind.source.fail(source, now) };
  }

  /** A correct password clears the user's count, not the source's: one good account must not reset a sprayer's address. */
  succeed(user: string): void {
    this.byKind.user.clear(userKey(user));
  }

  clear(kind: ThrottleKind, key: string): boolean {
    return this.byKind[kind].clear(kind === 'user' ? userKey(key) : key);
  }

  sweep(now: number): { kind: ThrottleKind; key: string }[] {
    return [
      ...this.byKind.user.sweep(now).map((key) => ({ kind: 'user' as const, key })),
      ...this.byKind.source.sweep(now).map((key) => ({ kind: 'source' as const, key })),
    ];
  }
}

/* User names are matched case-insensitively here so "Admin" and "admin" share one count. */
const userKey = (user: string) => user.toLowerCase();
