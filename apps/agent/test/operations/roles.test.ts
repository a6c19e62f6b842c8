// Roles: a viewer reads, an operator changes backends, an admin services and users; an anonymous caller nothing. A refusal changes nothing.
// Through createCaller against a real agent of its own: real maps (no interface
// attached) and a real SQLite store.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expectRefusedUnchanged } from './expect.js';
import type { TestAgent } from './helpers.js';
import { T, WEB, be, withWebServiceAgent } from './web-service.js';

let t: TestAgent;
withWebServiceAgent((agent) => (t = agent));

const operator = () => t.as('operator');
const viewer = () => t.as('viewer');

describe('roles', () => {
  test('a viewer can read but change nothing; an operator cannot touch services or users', T, async () => {
    const backend = { service: WEB, endpoint: be(1) };
    await expectRefusedUnchanged(
      t,
      'viewer adds',
      () => viewer().backends.add({ service: WEB, address: '198.19.3.2', port: 8080 }),
      'FORBIDDEN',
      /needs role operator/,
    );
    await expectRefusedUnchanged(t, 'viewer drains', () => viewer().backends.setState({ ...backend, state: 'drain' }), 'FORBIDDEN');
    await expectRefusedUnchanged(t, 'viewer reweights', () => viewer().backends.setWeight({ ...backend, weight: 5 }), 'FORBIDDEN');
    await expectRefusedUnchanged(t, 'viewer removes', () => viewer().backends.remove(backend), 'FORBIDDEN');
    await expectRefusedUnchanged(
      t,
      'operator creates service',
      () => operator().services.create({ address: '198.18.100.3', port: 80, protocol: 'tcp' }),
      'FORBIDDEN',
      /needs role admin/,
    );
    await expectRefusedUnchanged(t, 'operator deletes service', () => operator().services.delete({ service: WEB }), 'FORBIDDEN');
    await expectRefusedUnchanged(t, 'operator imports', () => operator().config.import({ document: { version: 1, services: [] } }), 'FORBIDDEN');
    await expectRefusedUnchanged(
      t,
      'operator adds user',
      () => operator().auth.createUser({ user: 'eve', password: 'long enough password', role: 'admin' }),
      'FORBIDDEN',
    );
    await expectRefusedUnchanged(t, 'operator makes token', () => operator().auth.createToken({ name: 'x', role: 'admin' }), 'FORBIDDEN');
    const anonymous = t.api.callerFor(null);
    await expectRefusedUnchanged(t, 'anonymous lists', () => anonymous.services.list(), 'UNAUTHENTICATED');
    await expectRefusedUnchanged(t, 'anonymous adds', () => anonymous.backends.add({ service: WEB, address: '198.19.3.2', port: 8080 }), 'UNAUTHENTICATED');
    assert.equal((await viewer().services.list()).length, 1);
    assert.equal((await viewer().backends.list({ service: WEB })).length, 2);
  });
});
