// Live data through the router: health flips, the backends' drain progress
// and the one-second stats feed, each ended by aborting its signal.
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import { after, before, test } from 'node:test';
import { type TestAgent, startTestAgent } from './helpers.js';

const WEB = '198.18.100.1:80/tcp';
const T = { timeout: 20_000 };
let t: TestAgent;

before(async () => {
  t = await startTestAgent();
  await t.as('admin').services.create({
    address: '198.18.100.1',
    port: 80,
    protocol: 'tcp',
    backends: [
      { address: '198.19.1.2', port: 8080 },
      { address: '198.19.2.2', port: 8080 },
    ],
  });
});
after(() => t?.stop());

/*
 * Resolves once a listener for `event` is being added: 'newListener' fires
 * just before it is, and the caller resumes a microtask later, after it is.
 */
function listening(emitter: EventEmitter, event: string): Promise<void> {
  return new Promise((resolve) => {
    emitter.on('newListener', function added(name: string | symbol) {
      if (name !== event) return;
      emitter.off('newListener', added);
      resolve();
    });
  });
}

async function first<T>(iterable: AsyncIterable<T>): Promise<T> {
  for await (const item of iterable) return item;
  throw new Error('the feed ended without an item');
}

test('health.changes yields a flip as it happens', T, async () => {
  const feed = (await t.as('viewer').health.changes({ service: WEB })) as AsyncIterable<any>;
  const subscribed = listening(t.health, 'change');
  const next = first(feed);
  await subscribed;
  t.health.set(WEB, '198.19.2.2:8080', false);
  const change = await next;
  assert.equal(change.endpoint, '198.19.2.2:8080');
  assert.equal(change.up, false);
  assert.equal(change.state, 'ready');
  t.health.set(WEB, '198.19.2.2:8080', true);
});

test('backends.watch yields the backends at once and then every interval', T, async () => {
  const feed = (await t.as('viewer').backends.watch({ service: WEB, intervalMs: 250 })) as AsyncIterable<any[]>;
  const seen: number[] = [];
  for await (const backends of feed) {
    assert.equal(backends.length, 2);
    seen.push(Date.now());
    if (seen.length === 3) break;
  }
  assert.ok(seen[2]! - seen[0]! >= 400, 'paced by the interval');
});

test('stats.live yields a sample each second, with the backends of the service it names and none without one', T, async () => {
  const sample = await first((await t.as('viewer').stats.live({ service: WEB })) as AsyncIterable<any>);
  assert.equal(sample.services[0].service, WEB);
  assert.deepEqual(sample.backends.map((b: { endpoint: string }) => b.endpoint).sort(), ['198.19.1.2:8080', '198.19.2.2:8080']);
  assert.equal(typeof sample.total.pps, 'number');
  const overview = await first((await t.as('viewer').stats.live()) as AsyncIterable<any>);
  assert.equal(overview.services[0].service, WEB);
  assert.deepEqual(overview.backends, []);
});

test('stats.live for a service that does not exist is refused as not found', T, async () => {
  await assert.rejects(
    Promise.resolve().then(() => t.as('viewer').stats.live({ service: '198.18.100.9:80/tcp' })),
    (error: { code?: string; message: string }) => /no service 198\.18\.100\.9:80\/tcp/.test(error.message),
  );
});

test('stats.live carries the global counters, and a change count that grows with a change and only then', T, async () => {
  const feed = (await t.as('viewer').stats.live()) as AsyncIterable<any>;
  const samples = feed[Symbol.asyncIterator]();
  const quiet = (await samples.next()).value;
  const stillQuiet = (await samples.next()).value;
  assert.equal(stillQuiet.changes, quiet.changes, 'nothing changed between the two samples');
  assert.equal(typeof quiet.global.action_pass, 'number');
  assert.equal(typeof quiet.global.drop_no_backend, 'number');
  await t.as('admin').backends.setWeight({ service: WEB, endpoint: '198.19.1.2:8080', weight: 3 });
  const changed = (await samples.next()).value;
  assert.ok(changed.changes > stillQuiet.changes, `${changed.changes} after the reweight, ${stillQuiet.changes} before`);
  await samples.return?.();
});

test('a viewer-less caller gets no feed', T, async () => {
  await assert.rejects(
    Promise.resolve().then(() => t.api.callerFor(null).stats.live()),
    /no valid bearer token/,
  );
});
