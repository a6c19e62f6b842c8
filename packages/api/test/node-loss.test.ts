/* The contract says which algorithms keep a connection when its node is lost (README "Running several nodes"). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ALGORITHMS, NODE_LOCAL_ALGORITHMS, algorithmSchema, survivesNodeLoss } from '../src/index.ts';

test('only maglev and source-hash connections survive a node loss; the algorithm field says so', () => {
  assert.deepEqual(
    ALGORITHMS.filter((a) => survivesNodeLoss(a)),
    ['source-hash', 'maglev'],
  );
  assert.deepEqual([...NODE_LOCAL_ALGORITHMS], ['round-robin', 'weighted-round-robin', 'least-connections']);
  const described = algorithmSchema.description ?? '';
  assert.match(described, /only maglev and source-hash connections survive the loss of a node/);
  assert.match(described, /round-robin, weighted-round-robin and least-connections connections moved to another node usually break/);
});
