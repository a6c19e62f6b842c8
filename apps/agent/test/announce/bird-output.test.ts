// Parsing birdc's answers, on output captured from the real BIRD 2.0.12 (fixtures/):
// a node with two established peers (IPv4, IPv6) and one that never came up.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { configureAccepted, configureProblem, parseBfdSessions, parseBirdTime, parseExportedRoutes, parseProtocols } from '../../src/announce/bird-output.js';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}.txt`, import.meta.url), 'utf8');
const at = (text: string) => new Date(text).getTime();

test('show protocols all: every protocol with state and since; BGP peers with their session state and neighbour', () => {
  const protocols = parseProtocols(fixture('protocols-all'));
  assert.deepEqual(
    protocols.map((p) => [p.name, p.proto, p.state]),
    [
      ['device1', 'Device', 'up'],
      ['sluice_vips4', 'Static', 'up'],
      ['sluice_vips6', 'Static', 'up'],
      ['sluice_bfd', 'BFD', 'up'],
      ['peer_198_18_11_1', 'BGP', 'up'],
      ['peer_2001_db8_a1__1', 'BGP', 'up'],
      ['peer_198_18_99_1', 'BGP', 'start'],
    ],
  );
  const [v4, v6, idle] = protocols.slice(4);
  assert.deepEqual(
    { state: v4!.bgpState, address: v4!.neighborAddress, as: v4!.neighborAs, since: v4!.since, info: v4!.info },
    { state: 'Established', address: '198.18.11.1', as: 65000, since: at('2026-12-04T12:43:02.895'), info: 'Established' },
  );
  assert.equal(v6!.bgpState, 'Established');
  assert.equal(v6!.neighborAddress, '2001:db8:a1::1');
  assert.deepEqual([idle!.bgpState, idle!.neighborAddress, idle!.since], ['Idle', '198.18.99.1', at('2026-12-04T12:43:02.583')]);
});

test('show bfd sessions: address, interface, state and since per session', () => {
  assert.deepEqual(parseBfdSessions(fixture('bfd-sessions')), [
    { address: '198.18.11.1', interface: 'eth0', state: 'Up', since: at('2026-12-04T12:43:02.747') },
    { address: '2001:db8:a1::1', interface: 'eth0', state: 'Up', since: at('2026-12-04T12:43:02.747') },
  ]);
});

test('show route export: the prefixes sent to a peer; none for an empty export', () => {
  assert.deepEqual(parseExportedRoutes(fixture('route-export-v4')), ['198.18.100.1/32', '198.18.100.2/32']);
  assert.deepEqual(parseExportedRoutes(fixture('route-export-v6')), ['2001:db8:100::1/128']);
  assert.deepEqual(parseExportedRoutes(fixture('route-export-empty')), []);
  assert.deepEqual(parseExportedRoutes(fixture('route-export-down')), []);
});

test('configure: "Reconfigured" is accepted; a syntax error is refused and its file:line is kept', () => {
  assert.equal(configureAccepted(fixture('configure')), true);
  assert.equal(configureAccepted(fixture('configure-error')), false);
  assert.match(configureProblem(fixture('configure-error')), /n1\.conf:7:32 syntax error, unexpected CF_SYM_UNDEFINED/);
  assert.doesNotMatch(configureProblem(fixture('configure-error')), /BIRD 2\.0\.12 ready|Reading configuration/);
});

test('times without the ms option and garbage are read or refused, never guessed', () => {
  assert.equal(parseBirdTime('2026-12-04 12:42:41'), at('2026-12-04T12:42:41'));
  assert.equal(parseBirdTime('12:42:41.537'), null);
  assert.equal(parseBirdTime('soon'), null);
});
