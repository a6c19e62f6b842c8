// Nobody gets in by guessing: the login throttle (per user, per source,
// backoff then lock), its audit trail, session expiry and rotation, and API
// token listing and revocation, through createCaller against a real store.
// The authenticator's clock is a variable the tests move: no sleeps.
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { type Identity, SESSION_IDLE_MS, SESSION_TTL_MS, type createAppRouter } from '@sluice/api';
import { TRPCError } from '@trpc/server';
import { Authenticator } from '../../src/auth/authenticator.js';
import { SOURCE_THROTTLE, USER_THROTTLE } from '../../src/auth/login-throttle.js';
import { expectCode } from './expect.js';
import { type TestAgent, identity, startTestAgent } from './helpers.js';

const T = { timeout: 60_000 };
const PASSWORD = 'correct horse battery';
let t: TestAgent;
let clock = 0;
let api: ReturnType<typeof createAppRouter>;
const admin = () => api.callerFor(identity('admin', 'test-admin'));
/* A browser behind the console (the console passes its address on), or a local caller on the socket. */
const from = (address: string | null, token: string | null = null) => api.callerFor(null, token, address);
const login = (user: string, password: string, address: string | null = '192.0.2.10', token: string | null = null) =>
  from(address, token).auth.login({ user, password });

async function fresh(): Promise<void> {
  /* A restarted agent has a new authenticator, which forgets throttle state; the clock starts at a round, recent time. */
  clock = 1_800_000_000_000;
  t = await t.restart(undefined, { authenticator: { now: () => clock } });
  api = t.api;
}

async function errorOf(call: Promise<unknown>): Promise<TRPCError> {
  const error = await call.then(
    () => assert.fail('expected an error'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof TRPCError, String(error));
  return error;
}
const retryAfterOf = (error: TRPCError) => (error.cause as unknown as { details: { retryAfterSeconds?: number } }).details.retryAfterSeconds;
const auditOf = (action: string) => t.store.audit.list({ action, limit: 500 }).items;

before(async () => {
  t = await startTestAgent();
  await fresh();
  await admin().auth.createUser({ user: 'olga', password: PASSWORD, role: 'operator' });
  await admin().auth.createUser({ user: 'petra', password: PASSWORD, role: 'viewer' });
});
after(() => t?.stop());
beforeEach(fresh);

test('failures back off, then lock the user; the lock answers RATE_LIMITED with a retry-after, even to the right password', T, async () => {
  const failedBefore = auditOf('auth.loginFailed').length;
  for (let i = 1; i <= USER_THROTTLE.freeFailures; i++) await expectCode(login('olga', 'wrong password!'), 'UNAUTHENTICATED');
  /* The first counted failure: a 1 s wait, doubling after. */
  const third = await errorOf(login('olga', 'wrong password!'));
  assert.equal(retryAfterOf(third), 1);
  await expectCode(login('olga', PASSWORD), 'RATE_LIMITED', /try again in 1 s/);
  clock += 1_000;
  await expectCode(login('olga', 'wrong password!'), 'UNAUTHENTICATED');
  clock += 2_000;
  /* The fifth failure locks: 15 minutes. */
  const fifth = await errorOf(login('olga', 'wrong password!'));
  assert.equal(retryAfterOf(fifth), USER_THROTTLE.lockMs / 1000);
  clock += 60_000;
  const locked = await errorOf(login('olga', PASSWORD, '198.51.100.7'));
  assert.equal(locked.code, 'TOO_MANY_REQUESTS');
  assert.equal(retryAfterOf(locked), (USER_THROTTLE.lockMs - 60_000) / 1000, 'the lock is per user: another address is refused too');

  assert.equal(auditOf('auth.loginFailed').length - failedBefore, 5, 'every checked failure is audited; refusals during a wait are not');
  const lock = auditOf('auth.loginLocked')[0]!;
  assert.equal(lock.target, 'olga');
  assert.deepEqual(lock.after, { kind: 'user', failures: 5, lockedUntil: 1_800_000_000_000 + 3_000 + USER_THROTTLE.lockMs });
  assert.deepEqual(auditOf('auth.loginFailed')[0]!.after, { source: '192.0.2.10', userFailures: 5, sourceFailures: 5 });

  clock = 1_800_000_000_000 + 3_000 + USER_THROTTLE.lockMs;
  const session = await login('olga', PASSWORD);
  assert.equal(session.user, 'olga');
  assert.equal(auditOf('auth.loginUnlocked')[0]?.target, 'olga', 'the lock ending is audited');
  assert.deepEqual(auditOf('auth.loginUnlocked')[0]?.after, { kind: 'user', by: 'expiry' });
});

test('a lock on a user that does not exist answers exactly as one that does', T, async () => {
  const answers: Record<string, string[]> = { olga: [], nobody: [] };
  for (const user of ['olga', 'nobody'])
    for (let i = 0; i < USER_THROTTLE.lockAfterFailures + 1; i++) {
      const error = await errorOf(login(user, 'wrong password!', `192.0.2.${user.length}`));
      answers[user]!.push(`${error.code} ${error.message} ${retryAfterOf(error)}`);
      clock += 40_000;
    }
  clock -= 40_000 * (USER_THROTTLE.lockAfterFailures + 1);
  assert.deepEqual(answers.nobody, answers.olga);
  assert.match(answers.olga!.at(-1)!, /^TOO_MANY_REQUESTS too many failed logins for this user or from this address/);
});

test('one address guessing many users is locked as a source; other addresses still log in', T, async () => {
  const sprayer = '203.0.113.9';
  for (let i = 0; i < SOURCE_THROTTLE.lockAfterFailures; i++) {
    await expectCode(login(`guess${i}`, 'wrong password!', sprayer), 'UNAUTHENTICATED');
    clock += SOURCE_THROTTLE.maxDelayMs;
  }
  await expectCode(login('petra', PASSWORD, sprayer), 'RATE_LIMITED');
  assert.equal(auditOf('auth.loginLocked')[0]?.target, sprayer);
  assert.equal((await login('petra', PASSWORD, '192.0.2.44')).user, 'petra');
  /* IPv6 sources are keys too, and a local caller on the socket is "local". */
  await expectCode(login('petra', 'wrong password!', null), 'UNAUTHENTICATED');
  assert.equal((auditOf('auth.loginFailed')[0]!.after as { source: string }).source, 'local');
});

test('an admin can end a lock early, audited; only an admin', T, async () => {
  for (let i = 0; i < USER_THROTTLE.lockAfterFailures; i++) {
    await expectCode(login('petra', 'wrong password!'), 'UNAUTHENTICATED');
    clock += USER_THROTTLE.maxDelayMs;
  }
  await expectCode(login('petra', PASSWORD, '192.0.2.77'), 'RATE_LIMITED');
  await expectCode(api.callerFor(identity('operator')).auth.unlockLogin({ user: 'petra' }), 'FORBIDDEN');
  await expectCode(admin().auth.unlockLogin({}), 'INVALID');
  assert.deepEqual(await admin().auth.unlockLogin({ user: 'petra' }), { user: true, source: null });
  const unlocked = auditOf('auth.loginUnlocked')[0]!;
  assert.equal(unlocked.actor, 'test-admin');
  assert.deepEqual(unlocked.after, { kind: 'user', by: 'admin' });
  assert.equal((await login('petra', PASSWORD, '192.0.2.77')).user, 'petra');
  assert.deepEqual(await admin().auth.unlockLogin({ user: 'petra', source: '192.0.2.250' }), { user: false, source: false });
});

test('a session ends after the idle time, and at the absolute expiry however busy', T, async () => {
  const { token } = await login('olga', PASSWORD);
  /* Identity comes from the token: go through the authenticator as the socket server does. */
  const authenticator = new Authenticator(t.store, { now: () => clock });
  assert.equal(authenticator.identify(token)?.user, 'olga');
  clock += SESSION_IDLE_MS - 1_000;
  assert.equal(authenticator.identify(token)?.user, 'olga', 'used just before the idle limit');
  clock += SESSION_IDLE_MS - 1_000;
  assert.equal(authenticator.identify(token)?.user, 'olga', 'activity moved the idle limit');
  clock += SESSION_IDLE_MS;
  assert.equal(authenticator.identify(token), null, 'idle for the limit: ended');
  assert.equal(authenticator.identify(token), null);

  const busy = await login('olga', PASSWORD);
  const start = clock;
  while (clock < start + SESSION_TTL_MS - 10 * 60_000) {
    clock += 10 * 60_000;
    assert.equal(authenticator.identify(busy.token)?.user, 'olga');
  }
  clock = start + SESSION_TTL_MS;
  assert.equal(authenticator.identify(busy.token), null, 'the absolute expiry holds even for a session in use');
});

test('every login issues a new session id and ends the one it was sent with; logout ends it on the server', T, async () => {
  const authenticator = new Authenticator(t.store, { now: () => clock });
  const first = await login('olga', PASSWORD);
  const second = await login('olga', PASSWORD, '192.0.2.10', first.token);
  assert.notEqual(second.token, first.token);
  assert.equal(authenticator.identify(first.token), null, 'the old session id is dead after the new login');
  assert.equal(authenticator.identify(second.token)?.user, 'olga');
  /* An API token sent along with a login is not a session: it stays valid. */
  const { token: apiToken } = await admin().auth.createToken({ name: 'login-bystander', role: 'viewer' });
  await login('olga', PASSWORD, '192.0.2.10', apiToken);
  assert.equal(authenticator.identify(apiToken)?.user, 'login-bystander');
  const olga: Identity = { user: 'olga', role: 'operator', source: 'session' };
  await api.callerFor(olga, second.token).auth.logout();
  assert.equal(authenticator.identify(second.token), null);
  await admin().auth.revokeToken({ name: 'login-bystander' });
});

test('tokens: admins list them (id, role, creator, created, last used; never a secret) and revoke them, refused at once', T, async () => {
  const authenticator = new Authenticator(t.store, { now: () => clock });
  const created = await admin().auth.createToken({ name: 'grafana', role: 'viewer' });
  assert.match(created.token, /^slk_/);
  assert.equal(authenticator.identify(created.token)?.user, 'grafana');
  const listed = (await admin().auth.listTokens()).find((x) => x.name === 'grafana')!;
  assert.deepEqual(Object.keys(listed).sort(), ['createdAt', 'createdBy', 'lastUsedAt', 'name', 'role']);
  assert.equal(listed.createdBy, 'test-admin');
  assert.equal(listed.lastUsedAt, clock, 'identify above counted as a use');
  assert.ok(!JSON.stringify(await admin().auth.listTokens()).includes(created.token.slice(4)), 'no secret in the list');
  const hash = t.store.identities.token('grafana')!.tokenHash;
  assert.ok(!JSON.stringify(await admin().auth.listTokens()).includes(hash), 'not even the hash');
  await expectCode(api.callerFor(identity('operator')).auth.listTokens(), 'FORBIDDEN');
  await expectCode(api.callerFor(identity('operator')).auth.revokeToken({ name: 'grafana' }), 'FORBIDDEN');
  assert.equal(authenticator.identify(created.token)?.user, 'grafana', 'a refused revoke changed nothing');
  await admin().auth.revokeToken({ name: 'grafana' });
  assert.equal(authenticator.identify(created.token), null, 'refused from the next request on');
  assert.equal(
    (await admin().auth.listTokens()).some((x) => x.name === 'grafana'),
    false,
  );
  assert.equal(auditOf('auth.revokeToken')[0]?.target, 'grafana');
});

test('a user changes their own password (any role): the current one is required, other sessions end, this one goes on; audited', T, async () => {
  const authenticator = new Authenticator(t.store, { now: () => clock });
  /* A user of this test's own, so the sessions that end are exactly the ones made here. */
  await admin().auth.createUser({ user: 'rita', password: PASSWORD, role: 'viewer' });
  const phone = await login('rita', PASSWORD, '192.0.2.20');
  const desk = await login('rita', PASSWORD, '192.0.2.21');
  const rita: Identity = { user: 'rita', role: 'viewer', source: 'session' };
  const asDesk = api.callerFor(rita, desk.token);
  const hashBefore = t.store.identities.user('rita')!.passwordHash;

  await expectCode(
    asDesk.auth.changePassword({ currentPassword: 'not her password', newPassword: 'a new long password' }),
    'INVALID',
    /current password is wrong/,
  );
  await expectCode(asDesk.auth.changePassword({ currentPassword: PASSWORD, newPassword: 'short' }), 'INVALID', /at least 10 characters/);
  await expectCode(asDesk.auth.changePassword({ currentPassword: PASSWORD, newPassword: PASSWORD }), 'INVALID', /same as the current/);
  assert.equal(t.store.identities.user('rita')!.passwordHash, hashBefore, 'refused changes changed nothing');
  assert.equal(authenticator.identify(phone.token)?.user, 'rita', 'refused changes ended no session');
  assert.equal(auditOf('auth.changePasswordFailed')[0]?.target, 'rita');

  const result = await asDesk.auth.changePassword({ currentPassword: PASSWORD, newPassword: 'a new long password' });
  assert.deepEqual(result, { user: 'rita', sessionsEnded: 1 });
  assert.equal(authenticator.identify(phone.token), null, 'the other session ended');
  assert.equal(authenticator.identify(desk.token)?.user, 'rita', 'the session that asked goes on');
  await expectCode(login('rita', PASSWORD, '192.0.2.22'), 'UNAUTHENTICATED');
  assert.equal((await login('rita', 'a new long password', '192.0.2.22')).user, 'rita');
  const entry = auditOf('auth.changePassword')[0]!;
  assert.equal(entry.actor, 'rita');
  assert.ok(!JSON.stringify(entry).includes('a new long password'), 'no password in the audit log');

  /* An API token has no password to change. */
  await expectCode(
    api.callerFor(identity('admin', 'ci-token')).auth.changePassword({ currentPassword: PASSWORD, newPassword: 'another long one' }),
    'INVALID',
    /API token/,
  );
});

test('wrong current passwords count toward the user lock, like logins', T, async () => {
  const session = await login('olga', PASSWORD);
  const olga: Identity = { user: 'olga', role: 'operator', source: 'session' };
  const asOlga = api.callerFor(olga, session.token);
  for (let i = 1; i <= USER_THROTTLE.freeFailures + 1; i++)
    await expectCode(asOlga.auth.changePassword({ currentPassword: 'a wrong guess', newPassword: 'a new long password' }), 'INVALID');
  await expectCode(asOlga.auth.changePassword({ currentPassword: PASSWORD, newPassword: 'a new long password' }), 'RATE_LIMITED');
  await expectCode(login('olga', PASSWORD), 'RATE_LIMITED', /try again/);
});
