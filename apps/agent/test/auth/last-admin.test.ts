// The last admin user keeps the console administrable on one node too: it
// can be neither demoted nor deleted (an API token could delete it before),
// and the refusal changes nothing; once another admin exists, both go through.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { expectCode } from '../operations/expect.js';
import { type TestAgent, startTestAgent } from '../operations/helpers.js';

const T = { timeout: 60_000 };
const PASSWORD = 'correct horse battery';
let t: TestAgent;

before(async () => {
  t = await startTestAgent();
  await t.as('admin').auth.createUser({ user: 'ann', password: PASSWORD, role: 'admin' });
});
after(() => t?.stop());

test('the last admin cannot be deleted nor demoted; with a second admin it can', T, async () => {
  const users = () => JSON.stringify(t.store.identities.users());
  const audited = () => t.store.audit.count();
  const [beforeUsers, beforeAudit] = [users(), audited()];
  await expectCode(t.as('admin').auth.deleteUser({ user: 'ann' }), 'CONFLICT', /ann is the last admin user; make another admin first, then delete ann/);
  await expectCode(t.as('admin').auth.updateUser({ user: 'ann', role: 'viewer' }), 'CONFLICT', /ann is the last admin user/);
  assert.equal(users(), beforeUsers, 'the users are as they were');
  assert.equal(audited(), beforeAudit, 'a refusal is not audited');
  await t.as('admin').auth.createUser({ user: 'bea', password: PASSWORD, role: 'admin' });
  await t.as('admin').auth.deleteUser({ user: 'ann' });
  assert.deepEqual(
    t.store.identities.users().map((u) => [u.name, u.role]),
    [['bea', 'admin']],
  );
});
