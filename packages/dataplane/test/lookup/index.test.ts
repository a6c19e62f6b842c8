import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildLookupTable, buildMaglevTable, buildWeightedSequence, LEAST_CONN_CANDIDATES, LOOKUP_TABLE_SIZE, NO_BACKEND } from '../../src/lookup/index.js';
import { inKeyOrder, makeBackends, oneTwoThree } from './helpers.js';

test('constants match bpf/include/sluice_shared.h', () => {
  assert.equal(LOOKUP_TABLE_SIZE, 65537);
  assert.equal(NO_BACKEND, 0xffff);
  assert.equal(LEAST_CONN_CANDIDATES, 4);
});

test('round robin ignores weights: period N in key order', () => {
  for (const n of [1, 3, 10, 100, 1000]) {
    const backends = makeBackends(n, oneTwoThree);
    const ids = inKeyOrder(backends).map((b) => b.id);
    const { table, sequenceLength } = buildLookupTable('round-robin', backends);
    assert.equal(sequenceLength, n);
    assert.equal(table.length, LOOKUP_TABLE_SIZE);
    for (let s = 0; s < table.length; s += 101) assert.equal(table[s], ids[s % n]);
  }
});

test('weighted round robin and least connections use the weighted sequence', () => {
  const backends = makeBackends(10, oneTwoThree);
  const sequence = buildWeightedSequence(backends, 1009);
  for (const algorithm of ['weighted-round-robin', 'least-connections'] as const) {
    const { table, sequenceLength } = buildLookupTable(algorithm, backends, 1009);
    assert.equal(sequenceLength, sequence.length);
    assert.deepEqual(table, sequence.table);
  }
});

test('source hash and maglev use the Maglev table over the whole size', () => {
  const backends = makeBackends(10, oneTwoThree);
  const maglev = buildMaglevTable(backends, 1009);
  for (const algorithm of ['source-hash', 'maglev'] as const) {
    const { table, sequenceLength } = buildLookupTable(algorithm, backends, 1009);
    assert.equal(sequenceLength, 1009);
    assert.deepEqual(table, maglev);
  }
});

test('no backends: hashed tables keep their size, sequences have length 0', () => {
  assert.equal(buildLookupTable('maglev', []).sequenceLength, LOOKUP_TABLE_SIZE);
  assert.equal(buildLookupTable('round-robin', []).sequenceLength, 0);
  for (const algorithm of ['round-robin', 'weighted-round-robin', 'least-connections', 'source-hash', 'maglev'] as const) {
    assert.ok(
      buildLookupTable(algorithm, []).table.every((id) => id === NO_BACKEND),
      algorithm,
    );
  }
});
