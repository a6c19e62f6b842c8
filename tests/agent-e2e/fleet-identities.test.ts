/*
 * Issue 16, users and API tokens shared by the fleet: three agents on one
 * real etcd. A user or token changed through one node is one guarded etcd
 * transaction that every node applies to its copy: a user logs in anywhere
 * with the role it was given anywhere; a role or password change ends its
 * sessions on every node; a revoked token stops working everywhere. Rules
 * hold fleet-wide (the last admin, a duplicate user, the first admin created
 * once), and each node's admin token file's token stays its own, out of etcd.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Role, fleetCompatSchema, isSluiceError } from '@sluice/api';
import { COMPAT_KEY, TOKENS_PREFIX, USERS_PREFIX, tokenKey, userKey } from '@sluice/agent/fleet';
import { ManualHealth, type TestAgent } from '@sluice/agent/test-agent';
import { expectCode } from '@sluice/agent/test-expect';
import { etcdctl } from '@sluice/testbed/etcd';
import { type FleetTestbed, fleetOption, startFleetNode, startFleetTestbed, stopFleetTestbed, until } from './support/fleet.ts';

const T = { timeout: 180_000 };
const WEB = '198.18.100.1:80/tcp';
const B1 = '198.19.1.2:8080';
const PASSWORD = 'correct horse battery';
const BROWSER = '192.0.2.10';

let bed: FleetTestbed | undefined;
let nodes: TestAgent[] = [];
const log: string[] = [];
const names = ['n1', 'n2', 'n3'] as const;
const tokenFile = (i: number) => join(bed!.dir, `${names[i]}.token`);

before(async () => {
  bed = await startFleetTestbed();
  nodes = [];
  for (const node of names) nodes.push(await startFleetNode(bed, { node, log }));
  /* As main.ts does after the start: each node's admin token file, its own. */
  nodes.forEach((t, i) => t.agent.ensureAdminTokenFile(tokenFile(i)));
  await nodes[0]!.as('admin').services.create({ address: '198.18.100.1', port: 80, protocol: 'tcp', backends: [{ address: '198.19.1.2', port: 8080 }] });
  await until('every node has the service', () => nodes.every((t) => t.store.services.get(WEB) !== undefined));
});

after(async () => {
  for (const t of nodes) t?.stop();
  await stopFleetTestbed(bed);
  if (process.env.SLUICE_FLEET_LOG) console.log(log.join('\n'));
});

const n1 = () => nodes[0]!;
const n2 = () => nodes[1]!;
const n3 = () => nodes[2]!;
const login = (t: TestAgent, user: string, password: string) => t.api.callerFor(null, null, BROWSER).auth.login({ user, password });
/* A call as the bearer of `token`, as the socket server makes it: the node's authenticator says who that is. */
const bearer = (t: TestAgent, token: string) => t.api.callerFor(t.authenticator.identify(token), token);
const roleOn = (t: TestAgent, user: string) => t.store.identities.user(user)?.role;
const reweigh = (t: TestAgent, token: string, weight: number) => bearer(t, token).backends.setWeight({ service: WEB, endpoint: B1, weight });
const etcdKeys = async (prefix: string) =>
  (await etcdctl(bed!.etcd, ['get', prefix, '--prefix', '--keys-only'])).stdout
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

/** Creates `user` through `t` and waits until every node holds it. */
async function createUser(t: TestAgent, user: string, role: Role, password = PASSWORD): Promise<void> {
  await t.as('admin').auth.createUser({ user, password, role });
  await until(`every node has user ${user}`, () => nodes.every((n) => roleOn(n, user) === role));
}

test('two nodes starting at once with a first-admin file each: one admin for the fleet, created once', T, async () => {
  const files = ['first password one', 'first password two'].map((password, i) => {
    const path = join(bed!.dir, `admin-password-${i}`);
    writeFileSync(path, `${password}\n`, { mode: 0o600 });
    return { path, password };
  });
  await Promise.all([n1().agent.ensureFirstAdmin(files[0]!.path), n2().agent.ensureFirstAdmin(files[1]!.path)]);
  await until('every node has user admin', () => nodes.every((t) => roleOn(t, 'admin') === 'admin'));
  assert.deepEqual(await etcdKeys(USERS_PREFIX), [`${USERS_PREFIX}admin`], 'one user in the fleet');
  const hashes = new Set(nodes.map((t) => t.store.identities.user('admin')!.passwordHash));
  assert.equal(hashes.size, 1, 'every node holds the same admin');
  /* Exactly one of the two passwords is the admin's, on every node. */
  const works = await Promise.all(
    files.map(
      async (f) =>
        await login(n3(), 'admin', f.password).then(
          () => true,
          () => false,
        ),
    ),
  );
  assert.deepEqual(works.filter(Boolean).length, 1, `one password works (${works})`);
  const loser = files[works.indexOf(false)]!;
  for (const t of nodes) await expectCode(login(t, 'admin', loser.password), 'UNAUTHENTICATED');
  /* A third node starting later finds the fleet's users and creates none. */
  await n3().agent.ensureFirstAdmin(loser.path);
  assert.equal(n3().store.identities.user('admin')!.passwordHash, [...hashes][0]);

  /*
   * The guard itself, for a node whose copy still had no user: a write based on
   * "no user anywhere" is refused once one exists, though its own key is absent
   * (so only the range compare on users/ can refuse it).
   */
  const compat = fleetCompatSchema.parse(JSON.parse((await etcdctl(bed!.etcd, ['get', COMPAT_KEY, '--print-value-only'])).stdout));
  const probe = fleetOption(bed!, { node: 'probe', log }).connect(compat);
  try {
    await probe.start({ replaceAll: () => {}, apply: () => {}, health: () => ({ reconciled: true, reason: null, announcing: null, traffic: null }) }, 5000);
    const intruder = { ...n1().store.identities.user('admin')!, name: 'intruder' };
    const refused = await probe
      .write({
        batch: { services: new Map(), users: new Map([['intruder', intruder]]), tokens: new Map() },
        base: new Map([[userKey('intruder'), null]]),
        absent: [USERS_PREFIX],
        audit: [],
      })
      .then(
        () => assert.fail('the write went through'),
        (error: unknown) => error,
      );
    assert.ok(isSluiceError(refused) && refused.code === 'CONFLICT', String(refused));
    assert.match((refused as Error).message, /or a first user was created meanwhile/);
  } finally {
    await probe.stop();
  }
  assert.deepEqual(await etcdKeys(USERS_PREFIX), [`${USERS_PREFIX}admin`], 'still one user');
});

test("a user created through n1 logs in on n2 and n3 with the role it was given; the change is in every node's audit log", T, async () => {
  const started = performance.now();
  await n1().as('admin').auth.createUser({ user: 'olga', password: PASSWORD, role: 'operator' });
  const applied = await until('n2 and n3 have olga', () => roleOn(n2(), 'olga') === 'operator' && roleOn(n3(), 'olga') === 'operator');
  console.log(
    `# user created on n1: on n2 and n3 ${applied.toFixed(0)} ms after the call returned (${(performance.now() - started).toFixed(0)} ms after it began)`,
  );
  for (const t of [n2(), n3()]) {
    const session = await login(t, 'olga', PASSWORD);
    assert.equal(session.role, 'operator');
    await reweigh(t, session.token, 3);
    assert.equal(t.store.services.backend(WEB, B1)?.weight, 3);
  }
  for (const [i, t] of nodes.entries()) {
    assert.deepEqual(
      (await t.as('admin').auth.listUsers()).map((u) => [u.user, u.role]),
      [
        ['admin', 'admin'],
        ['olga', 'operator'],
      ],
    );
    const created = (await t.as('admin').audit.list({ action: 'auth.createUser', limit: 10 })).items;
    assert.deepEqual(
      created.map((e) => [e.target, e.actor]),
      [['olga', 'test-admin']],
      `the audit log of ${names[i]}`,
    );
  }
});

test(
  "a role change through n2 takes effect on n1 (an operator demoted to viewer is FORBIDDEN there) and ends the user's sessions on every node",
  T,
  async () => {
    const sessions = await Promise.all(nodes.map((t) => login(t, 'olga', PASSWORD)));
    await reweigh(n1(), sessions[0]!.token, 4);
    await n2().as('admin').auth.updateUser({ user: 'olga', role: 'viewer' });
    const applied = await until('every node has olga as viewer', () => nodes.every((t) => roleOn(t, 'olga') === 'viewer'));
    console.log(`# role change on n2: on every node ${applied.toFixed(0)} ms after the call returned`);
    nodes.forEach((t, i) => assert.equal(t.authenticator.identify(sessions[i]!.token), null, `olga's session on ${names[i]} ended`));
    await expectCode(reweigh(n1(), sessions[0]!.token, 5), 'UNAUTHENTICATED');
    const again = await login(n1(), 'olga', PASSWORD);
    assert.equal(again.role, 'viewer');
    await expectCode(reweigh(n1(), again.token, 5), 'FORBIDDEN', /needs role operator/);
    assert.equal(n1().store.services.backend(WEB, B1)?.weight, 4, 'the refused change changed nothing');
  },
);

test('a password changed on n3 makes the old password fail everywhere; the session that changed it goes on, the others end', T, async () => {
  const sessions = await Promise.all(nodes.map((t) => login(t, 'olga', PASSWORD)));
  const NEW = 'a new long password';
  const result = await bearer(n3(), sessions[2]!.token).auth.changePassword({ currentPassword: PASSWORD, newPassword: NEW });
  assert.deepEqual(result, { user: 'olga', sessionsEnded: 0 }, 'n3 held only the asking session');
  const hash = n3().store.identities.user('olga')!.passwordHash;
  await until('every node has the new hash', () => nodes.every((t) => t.store.identities.user('olga')?.passwordHash === hash));
  assert.equal(n3().authenticator.identify(sessions[2]!.token)?.user, 'olga', 'the asking session goes on');
  for (const i of [0, 1]) assert.equal(nodes[i]!.authenticator.identify(sessions[i]!.token), null, `the session on ${names[i]} ended`);
  for (const t of nodes) {
    await expectCode(login(t, 'olga', PASSWORD), 'UNAUTHENTICATED', /wrong user name or password/);
    assert.equal((await login(t, 'olga', NEW)).role, 'viewer');
  }
  const audited = (await n1().as('admin').audit.list({ action: 'auth.changePassword', limit: 10 })).items;
  assert.deepEqual(
    audited.map((e) => [e.actor, e.after]),
    [['olga', { user: 'olga', sessionsEnded: 0 }]],
  );
});

test('a token created on n1 authenticates calls on n3 and stops working everywhere when revoked on n2', T, async () => {
  const created = await n1().as('admin').auth.createToken({ name: 'ci', role: 'operator' });
  await until('n3 knows the token', () => n3().authenticator.identify(created.token) !== null);
  assert.deepEqual(n3().authenticator.identify(created.token), { user: 'ci', role: 'operator', source: 'token' });
  await reweigh(n3(), created.token, 6);
  await until('the change reached n1', () => n1().store.services.backend(WEB, B1)?.weight === 6);
  /* Only the hash travels: the secret is nowhere in etcd. */
  const stored = (await etcdctl(bed!.etcd, ['get', tokenKey('ci'), '--print-value-only'])).stdout;
  assert.ok(stored.includes(n1().store.identities.token('ci')!.tokenHash) && !stored.includes(created.token), stored);

  await n2().as('admin').auth.revokeToken({ name: 'ci' });
  const gone = await until('no node knows the token', () => nodes.every((t) => t.authenticator.identify(created.token) === null));
  console.log(`# token revoked on n2: refused on every node ${gone.toFixed(0)} ms after the call returned`);
  for (const t of nodes) await expectCode(reweigh(t, created.token, 7), 'UNAUTHENTICATED');
  assert.deepEqual(await etcdKeys(TOKENS_PREFIX), []);
});

test('two nodes create the same user at once, 5 times: one wins, the other gets CONFLICT; every node holds the winner', T, async () => {
  let conflicts = 0;
  for (let round = 0; round < 5; round++) {
    const user = `race${round}`;
    const outcomes = await Promise.allSettled([
      n1().as('admin').auth.createUser({ user, password: PASSWORD, role: 'viewer' }),
      n2().as('admin').auth.createUser({ user, password: PASSWORD, role: 'operator' }),
    ]);
    const won = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [i] : []));
    assert.equal(won.length, 1, `round ${round}: exactly one wins (${outcomes.map((o) => o.status)})`);
    await expectCode(Promise.reject((outcomes[1 - won[0]!] as PromiseRejectedResult).reason), 'CONFLICT', /olga|race|already exists|changed in the fleet/);
    conflicts++;
    const role = won[0] === 0 ? 'viewer' : 'operator';
    await until(`every node has ${user} as ${role}`, () => nodes.every((t) => roleOn(t, user) === role));
  }
  console.log(`# 5 races to create one user: 5 with exactly one winner, ${conflicts} CONFLICT answers`);
});

test('the last admin cannot be deleted nor demoted from any node; two nodes taking away each of the last two admins: one wins', T, async () => {
  for (const t of nodes) {
    await expectCode(t.as('admin').auth.deleteUser({ user: 'admin' }), 'CONFLICT', /admin is the last admin user/);
    await expectCode(t.as('admin').auth.updateUser({ user: 'admin', role: 'operator' }), 'CONFLICT', /last admin/);
  }
  const admins = (t: TestAgent) => t.store.identities.adminCount();
  for (let round = 0; round < 3; round++) {
    const second = `ada${round}`;
    await createUser(n3(), second, 'admin');
    const outcomes = await Promise.allSettled([
      n1().as('admin').auth.updateUser({ user: 'admin', role: 'viewer' }),
      n2().as('admin').auth.deleteUser({ user: second }),
    ]);
    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1, `round ${round}: ${outcomes.map((o) => o.status)}`);
    const lost = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    await expectCode(Promise.reject(lost.reason), 'CONFLICT', /last admin|changed in the fleet/);
    /* Wait for the fleet to settle, then every node has exactly one admin. */
    const demoted = outcomes[0]!.status === 'fulfilled';
    await until('every node applied the winner', () => nodes.every((t) => (demoted ? roleOn(t, 'admin') === 'viewer' : roleOn(t, second) === undefined)));
    for (const t of nodes) assert.equal(admins(t), 1, `one admin left on ${t.dataDir}`);
    /* Back to "admin" as the one admin for the next round. */
    if (demoted) {
      await n3().as('admin').auth.updateUser({ user: 'admin', role: 'admin' });
      await n3().as('admin').auth.deleteUser({ user: second });
      await until('every node back to one admin', () => nodes.every((t) => roleOn(t, second) === undefined && roleOn(t, 'admin') === 'admin'));
    }
  }
});

test("each node's admin token file's token works on its own node only, is not in etcd, and survives a re-list", T, async () => {
  const rootTokens = nodes.map((_, i) => readFileSync(tokenFile(i), 'utf8').trim());
  assert.equal(new Set(rootTokens).size, 3, 'each node has its own');
  rootTokens.forEach((token, i) =>
    nodes.forEach((other, j) =>
      assert.deepEqual(
        other.authenticator.identify(token),
        i === j ? { user: 'root', role: 'admin', source: 'token' } : null,
        `${names[i]}'s root token on ${names[j]}`,
      ),
    ),
  );
  assert.ok(!(await etcdKeys(TOKENS_PREFIX)).includes(tokenKey('root')), 'no root token in etcd');
  for (const t of nodes) await expectCode(t.as('admin').auth.revokeToken({ name: 'root' }), 'INVALID', /admin token file/);
  /* A restart lists the fleet again (whatever the list lacks goes): the node's own token stays. */
  nodes[2] = await n3().restart(new ManualHealth(), { fleet: fleetOption(bed!, { node: 'n3', log }) });
  await until('n3 listed the fleet again', async () => ((await n3().as('viewer').node.status()).fleet?.appliedRevision ?? 0) > 0);
  assert.deepEqual(n3().authenticator.identify(rootTokens[2]!), { user: 'root', role: 'admin', source: 'token' });
  await reweigh(n3(), rootTokens[2]!, 8);
  await until("the root token's change reached n1", () => n1().store.services.backend(WEB, B1)?.weight === 8);
  assert.deepEqual(
    n3()
      .store.identities.users()
      .map((u) => u.name),
    n1()
      .store.identities.users()
      .map((u) => u.name),
  );
});
