// The store as a fleet node's local copy (issue 16): a service replaced whole
// from the fleet's document touches only the rows that differ, keeps the
// node's own drain-expiry mark for the drain it was set for, and names the
// service for the targeted reconcile; a shared audit entry is recorded once.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { defaultHealthCheck } from '@sluice/api';
import { Store, type WholeService } from '../../src/store/index.js';

const store = new Store(':memory:');
after(() => store.close());

const NAME = '198.18.100.1:80/tcp';
const whole = (backends: WholeService['backends']): WholeService => ({
  address: '198.18.100.1',
  port: 80,
  protocol: 'tcp',
  algorithm: 'maglev',
  mode: 'nat',
  clientRate: 0,
  healthCheck: defaultHealthCheck('tcp'),
  backends,
});
const b1 = { address: '198.19.1.2', port: 8080, weight: 1, state: 'ready' as const, drainStartedAt: null, drainTimeoutMs: null };
const b2 = { address: '198.19.1.3', port: 8080, weight: 2, state: 'drain' as const, drainStartedAt: 5000, drainTimeoutMs: 30_000 };

test('a new service is written whole and reads back as it came, drain clock included', () => {
  store.transaction(() => store.services.replaceWhole(NAME, whole([b1, b2]), 1000));
  assert.deepEqual(store.services.wholeOf(NAME), whole([b1, b2]));
  assert.deepEqual([...store.services.takeChanged()], [NAME]);
});

test('only the backend that differs is written; the node keeps its expiry mark for the same drain, not for a new one', () => {
  const drained = store.services.backend(NAME, '198.19.1.3:8080')!;
  store.services.markDrainExpired(drained, 6000);
  const b1Before = store.services.backend(NAME, '198.19.1.2:8080')!;

  store.transaction(() => store.services.replaceWhole(NAME, whole([{ ...b1 }, { ...b2, weight: 5 }]), 7000));
  assert.equal(store.services.backend(NAME, '198.19.1.2:8080')!.updatedAt, b1Before.updatedAt, 'the equal backend is untouched');
  const reweighed = store.services.backend(NAME, '198.19.1.3:8080')!;
  assert.equal(reweighed.weight, 5);
  assert.equal(reweighed.drainExpired, true, 'same drain (same start): this node already ended it');

  store.transaction(() => store.services.replaceWhole(NAME, whole([{ ...b1 }, { ...b2, weight: 5, drainStartedAt: 8000 }]), 8000));
  const redrained = store.services.backend(NAME, '198.19.1.3:8080')!;
  assert.equal(redrained.drainStartedAt, 8000);
  assert.equal(redrained.drainExpired, false, 'a new drain starts unexpired');
});

test('a backend the document lacks goes; a service it lacks (undefined) goes', () => {
  store.services.takeChanged();
  store.transaction(() => store.services.replaceWhole(NAME, whole([b1]), 9000));
  assert.deepEqual(
    store.services.backends(NAME).map((b) => b.endpoint),
    ['198.19.1.2:8080'],
  );
  store.transaction(() => store.services.replaceWhole(NAME, undefined, 9500));
  assert.equal(store.services.get(NAME), undefined);
  assert.equal(store.services.wholeOf(NAME), undefined);
  assert.deepEqual([...store.services.takeChanged()], [NAME]);
});

test('a shared audit entry is recorded once, however often the fleet is listed', () => {
  const before = store.audit.count();
  const appendedBefore = store.audit.appended;
  const entry = { action: 'backend.setWeight', target: `${NAME} 198.19.1.2:8080`, before: { weight: 1 }, after: { weight: 3 } };
  for (let i = 0; i < 3; i++) store.audit.appendShared('/sluice/v1/desired/audit/000-n1-ab-0', { user: 'olga', role: 'operator' }, entry, 1234);
  assert.equal(store.audit.count(), before + 1);
  assert.equal(store.audit.appended, appendedBefore + 1, 'the live feed counts the row written, not the two skipped');
  const [row] = store.audit.list({ limit: 1 }).items;
  assert.equal(row!.actor, 'olga');
  assert.equal(row!.at, 1234);
  assert.deepEqual(row!.after, { weight: 3 });
});
