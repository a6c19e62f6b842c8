/*
 * How a change to users or API tokens is committed. The change runs on the
 * store as it is, its rules checked there, and says what to audit. On one
 * node that is a store transaction with its audit rows (localIdentityCommit).
 * In a fleet the agent runs it as a dry run on its local copy and writes what
 * it did to etcd in one guarded transaction, as it does a service change
 * (operations/agent.ts): so a rule is judged once, in one place, either way.
 */
import type { Identity } from '@sluice/api';
import type { AuditRecord, Store } from '../store/index.js';

export interface IdentityChange<T> {
  result: T;
  audit: AuditRecord[];
}

export interface IdentityCommitOptions {
  /** The time the change and its audit rows carry (default: now). */
  at?: number;
  /** A session the change must not end on this node: the one that changes its own user's password. */
  keepSession?: { user: string; tokenHash: string };
  /** Only while no user exists at all (the first admin); in a fleet, no user on any node, else CONFLICT. */
  onlyIfNoUsers?: boolean;
}

export type IdentityCommit = <T>(caller: Identity, change: (now: number) => IdentityChange<T>, options?: IdentityCommitOptions) => T | Promise<T>;

/** One node's commit: the change and its audit rows in one store transaction. */
export function localIdentityCommit(store: Store): IdentityCommit {
  return (caller, change, options = {}) =>
    store.transaction(() => {
      const now = options.at ?? Date.now();
      const { result, audit } = change(now);
      for (const record of audit) store.audit.append(caller, record, now);
      return result;
    });
}
