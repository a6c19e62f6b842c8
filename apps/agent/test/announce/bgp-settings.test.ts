// Bad BGP settings are refused whole, each problem named with its field.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBgpSettings } from '../../src/announce/bgp-settings.js';

const good = { localAs: 65001, routerId: '198.18.11.2', peers: [{ address: '198.18.11.1', as: 65000 }] };

test('defaults: hold 9 s, BFD 100 ms x 3, bird and birdc from PATH, read every second', () => {
  const s = parseBgpSettings(good, 'f');
  assert.equal(s.holdTimeS, 9);
  assert.deepEqual(s.bfd, { minRxMs: 100, minTxMs: 100, multiplier: 3 });
  assert.equal(s.birdPath, 'bird');
  assert.equal(s.pollMs, 1000);
});

test('each bad field is named', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ ...good, localAs: 0 }, /localAs: an AS number is 1 to 4294967295/],
    [{ ...good, routerId: '2001:db8::1' }, /routerId: routerId must be an IPv4 address/],
    [{ ...good, peers: [] }, /peers: name at least one router/],
    [{ ...good, peers: [{ address: 'router1', as: 65000 }] }, /peers\.0\.address: peer address must be an IPv4 or IPv6 address/],
    [{ ...good, peers: [good.peers[0], good.peers[0]] }, /peers\.1\.address: peer 198\.18\.11\.1 is listed twice/],
    [{ ...good, holdTimeS: 2 }, /holdTimeS: holdTimeS must be at least 3/],
    [{ ...good, bfd: { minRxMs: 1 } }, /bfd/],
    [{ ...good, neighbours: [] }, /neighbours|unrecognized/i],
  ];
  for (const [raw, why] of bad)
    assert.throws(
      () => parseBgpSettings(raw, 'bgp.yaml'),
      (e: Error) => e.message.startsWith('BGP settings bgp.yaml: ') && why.test(e.message),
    );
});
