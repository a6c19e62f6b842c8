/*
 * Console sessions, kept in this server's memory: the browser holds only an
 * opaque random id (HttpOnly cookie); the agent's session token never leaves
 * the server. A restart of the console logs everyone out, which is the safe
 * direction. The map hangs off globalThis because Next.js may instantiate
 * this module once per route bundle, and all of them must see one store.
 */
import { randomBytes } from 'node:crypto';
import { type Role, SESSION_IDLE_MS } from '@sluice/api';

export interface ConsoleSession {
  id: string;
  /** The agent session token from auth.login, sent as the bearer on every proxied call. */
  agentToken: string;
  user: string;
  role: Role;
  /** The agent's absolute expiry: no activity extends it. */
  expiresAt: number;
  /** For the idle expiry, the same one the agent applies (SESSION_IDLE_MS): a page's own requests count as activity. */
  lastSeenAt: number;
  /** The CSRF token this session's state-changing requests must carry. */
  csrfToken: string;
}

/* Enough entropy that ids cannot be guessed; base64url fits a cookie unescaped. */
const ID_BYTES = 32;
/* Bounds memory if logins are hammered: the oldest sessions go first. */
const MAX_SESSIONS = 10_000;

const STORE_KEY = Symbol.for('sluice.console.sessions');
type GlobalWithStore = typeof globalThis & { [STORE_KEY]?: Map<string, ConsoleSession> };

function sessions(): Map<string, ConsoleSession> {
  const g = globalThis as GlobalWithStore;
  g[STORE_KEY] ??= new Map();
  return g[STORE_KEY];
}

export const newSecret = () => randomBytes(ID_BYTES).toString('base64url');

export function createSession(login: { token: string; user: string; role: Role; expiresAt: number }): ConsoleSession {
  const store = sessions();
  const now = Date.now();
  for (const [id, session] of store) if (session.expiresAt <= now) store.delete(id);
  while (store.size >= MAX_SESSIONS) store.delete(store.keys().next().value!);
  /* Always a new id (never one the browser offered): a session id planted before login is worth nothing after it. */
  const session: ConsoleSession = {
    id: newSecret(),
    agentToken: login.token,
    user: login.user,
    role: login.role,
    expiresAt: login.expiresAt,
    lastSeenAt: now,
    csrfToken: newSecret(),
  };
  store.set(session.id, session);
  return session;
}

export function findSession(id: string | undefined): ConsoleSession | null {
  if (!id) return null;
  const store = sessions();
  const session = store.get(id);
  if (!session) return null;
  const now = Date.now();
  if (session.expiresAt <= now || now - session.lastSeenAt >= SESSION_IDLE_MS) {
    store.delete(id);
    return null;
  }
  session.lastSeenAt = now;
  return session;
}

export function endSession(id: string): void {
  sessions().delete(id);
}
