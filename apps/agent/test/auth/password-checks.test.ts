/*
 * Password checks run off the event loop and one at a time: the loop that
 * answers keepalived's check keeps turning during a login, and guesses sent
 * in parallel are judged one after another by the throttle, as if sent in turn.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Authenticator } from '../../src/auth/authenticator.js';
import { hashPassword } from '../../src/store/passwords.js';
import { Store } from '../../src/store/store.js';

const PASSWORD = 'a long enough password';
const attempt = (source: string) => ({ source, previousToken: null });

async function storeWith(user: string): Promise<Store> {
  const store = new Store(':memory:');
  store.identities.insertUser(user, 'viewer', await hashPassword(PASSWORD), Date.now());
  return store;
}

/* Turns of the event loop (setImmediate) while `work` runs: 0 if it held the loop until it ended. */
async function loopTurnsDuring<T>(work: () => Promise<T>): Promise<{ turns: number; result: PromiseSettledResult<T> }> {
  let turns = 0;
  let done = false;
  const spin = () => {
    if (done) return;
    turns++;
    setImmediate(spin);
  };
  setImmediate(spin);
  const [result] = await Promise.allSettled([work()]);
  done = true;
  return { turns, result: result! };
}

test('the event loop turns while a password is checked (right or wrong) and while one is hashed', async () => {
  const store = await storeWith('vera');
  const authenticator = new Authenticator(store);
  const right = await loopTurnsDuring(() => authenticator.login('vera', PASSWORD, attempt('192.0.2.1')));
  assert.equal(right.result.status, 'fulfilled');
  assert.ok(right.turns > 0, 'the loop never turned during a good login');
  const wrong = await loopTurnsDuring(() => authenticator.login('vera', 'not the password', attempt('192.0.2.1')));
  assert.equal(wrong.result.status, 'rejected');
  assert.ok(wrong.turns > 0, 'the loop never turned during a failed login');
  const hashed = await loopTurnsDuring(() => hashPassword('another long password'));
  assert.ok(hashed.turns > 0, 'the loop never turned while a password was hashed');
  store.close();
});

test('guesses sent at once are judged one after another: the throttle stops the third onwards, the right password too', async () => {
  const store = await storeWith('wanda');
  const authenticator = new Authenticator(store);
  const guesses = [0, 1, 2, 3, 4].map((i) => authenticator.login('wanda', `guess number ${i}`, attempt('192.0.2.7')));
  const right = authenticator.login('wanda', PASSWORD, attempt('192.0.2.7'));
  const outcomes = (await Promise.allSettled([...guesses, right])).map((o) =>
    o.status === 'fulfilled' ? 'logged in' : ((o.reason as { code?: string }).code ?? String(o.reason)),
  );
  /* Two free failures; the third is counted and makes the user wait, so every later attempt is refused unread. */
  assert.deepEqual(outcomes, ['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
  store.close();
});

test('a full queue of waiting checks: the next login is refused at once, the queued ones all end', async () => {
  const store = await storeWith('xena');
  const authenticator = new Authenticator(store, { maxWaitingChecks: 3 });
  /* Each from its own source and user name, so the throttle lets every one reach its check. */
  const queued = Array.from({ length: 3 }, (_, i) => authenticator.login(`user${i}`, 'wrong', attempt(`192.0.2.${i + 10}`)));
  await assert.rejects(authenticator.login('xena', PASSWORD, attempt('198.51.100.1')), (error: { code?: string; message: string }) => {
    assert.equal(error.code, 'RATE_LIMITED');
    assert.match(error.message, /^3 password checks are waiting already: try again in 1 s$/);
    return true;
  });
  const ended = await Promise.allSettled(queued);
  assert.ok(
    ended.every((o) => o.status === 'rejected' && (o.reason as { code?: string }).code === 'UNAUTHENTICATED'),
    'every queued check ended with its own answer',
  );
  assert.equal((await authenticator.login('xena', PASSWORD, attempt('198.51.100.1'))).user, 'xena', 'a login after the queue drained goes through');
  store.close();
});
