// What a node announces: every node-wide condition withholds all routes; a
// VIP goes out when one of its services has an eligible backend.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type NodeFacts, vipsToAnnounce } from '../../src/announce/announce-conditions.js';

const healthy: NodeFacts = { attached: true, reconciled: true, ready: true, draining: false };
const services = [
  { address: '198.18.100.2', backends: [{ eligible: true }] },
  { address: '198.18.100.1', backends: [{ eligible: false }, { eligible: true }] },
  { address: '2001:db8:100::1', backends: [{ eligible: true }] },
  { address: '198.18.100.3', backends: [{ eligible: false }] },
  { address: '198.18.100.4', backends: [] },
];

test('a ready node announces each VIP with an eligible backend, sorted per family', () => {
  assert.deepEqual(vipsToAnnounce(healthy, services), {
    routes: { ipv4: ['198.18.100.1', '198.18.100.2'], ipv6: ['2001:db8:100::1'] },
    withheld: null,
  });
});

test('a VIP shared by two services is announced once, if either can serve', () => {
  const shared = [
    { address: '198.18.100.1', backends: [{ eligible: false }] },
    { address: '198.18.100.1', backends: [{ eligible: true }] },
  ];
  assert.deepEqual(vipsToAnnounce(healthy, shared).routes.ipv4, ['198.18.100.1']);
});

test('each node-wide condition withdraws everything and says why', () => {
  const cases: [Partial<NodeFacts>, RegExp][] = [
    [{ attached: false }, /not attached/],
    [{ reconciled: false }, /reconcile failed/],
    [{ ready: false }, /not ready/],
    [{ draining: true }, /draining/],
  ];
  for (const [change, why] of cases) {
    const result = vipsToAnnounce({ ...healthy, ...change }, services);
    assert.deepEqual(result.routes, { ipv4: [], ipv6: [] }, JSON.stringify(change));
    assert.match(result.withheld!, why);
  }
});
