/* A node's registration in etcd: one from a version without traffic still parses (traffic null: "not said", not zero). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fleetNodeSchema } from '../src/index.ts';

const older = {
  node: 'lb-1',
  version: '0.1.0',
  appliedRevision: 7,
  healthy: true,
  reason: null,
  announcing: null,
  compat: { hashSeed: 0, lookupTableSize: 65537, selection: 1 },
  updatedAt: 1_800_000_000_000,
};

test("an older node's registration (no traffic) parses with traffic null", () => {
  assert.equal(fleetNodeSchema.parse(older).traffic, null);
});

test('a registration with traffic keeps it; a bad one is refused', () => {
  const traffic = { pps: 1500.5, bps: 12_004_000, activeFlows: 40, packets: 90_000 };
  assert.deepEqual(fleetNodeSchema.parse({ ...older, traffic }).traffic, traffic);
  assert.equal(fleetNodeSchema.safeParse({ ...older, traffic: { pps: 'fast' } }).success, false);
});
