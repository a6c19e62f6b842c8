/* `sluice fleet`'s text: the store, this node, "converged N of M at revision R", a row per node; unreachable and refusal said plainly. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FleetStatus } from '@sluice/api';
import { formatFleet } from '../../src/cli/fleet-command.js';

const NOW = 1_800_000_000_000;
const compat = { hashSeed: 0, lookupTableSize: 65537, selection: 1 };
const status: FleetStatus = {
  store: 'etcd://10.0.0.1:2379',
  reachable: true,
  error: null,
  node: 'lb-1',
  appliedRevision: 42,
  refused: null,
  revision: 42,
  converged: 1,
  checker: 'lb-2',
  nodes: [
    {
      node: 'lb-1',
      version: '0.1.0',
      appliedRevision: 42,
      healthy: true,
      reason: null,
      announcing: true,
      compat,
      traffic: { pps: 12_345, bps: 98_760_000, activeFlows: 321, packets: 9_000_000 },
      updatedAt: NOW - 400,
    },
    {
      node: 'lb-2',
      version: '0.1.0',
      appliedRevision: 40,
      healthy: false,
      reason: 'this node has hash seed 7',
      announcing: null,
      compat: { ...compat, hashSeed: 7 },
      traffic: null,
      updatedAt: NOW - 1200,
    },
  ],
};

test('a reachable fleet: convergence line and one row per node', () => {
  const text = formatFleet(status, NOW);
  assert.match(text, /^fleet store etcd:\/\/10\.0\.0\.1:2379: reachable$/m);
  assert.match(text, /^this node: lb-1, applied revision 42$/m);
  assert.match(text, /^converged 1 of 2 at revision 42$/m);
  assert.match(text, /^health checked by: lb-2$/m);
  assert.match(formatFleet({ ...status, checker: 'lb-1' }, NOW), /^health checked by: lb-1 \(this node\)$/m);
  assert.match(text, /^lb-1 +0\.1\.0 +42 +yes +yes +12\.3k pps, 321 flows /m);
  /* A node of an older version registers no traffic: "-", not zero. */
  assert.match(text, /^lb-2 +0\.1\.0 +40 +NO +- +- +.*this node has hash seed 7$/m);
});

test('unreachable, refusing, or no fleet at all: said in words', () => {
  assert.match(
    formatFleet({ ...status, reachable: false, error: 'connection refused', revision: null, nodes: [], converged: 0 }, NOW),
    /UNREACHABLE \(connection refused\): forwarding on the last applied state, changes refused/,
  );
  assert.match(formatFleet({ ...status, refused: 'this node has hash seed 7' }, NOW), /^REFUSING to apply: this node has hash seed 7$/m);
  assert.match(formatFleet(null), /fleet: none \(this agent keeps its own desired state in SQLite/);
});
