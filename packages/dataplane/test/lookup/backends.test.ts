import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sortedByKey, validateBackends } from '../../src/lookup/backends.js';
import { buildLookupTable, type LookupAlgorithm } from '../../src/lookup/index.js';
import { makeBackends } from './helpers.js';

const algorithms: LookupAlgorithm[] = ['round-robin', 'weighted-round-robin', 'least-connections', 'source-hash', 'maglev'];

test('every algorithm rejects backends that cannot go into a table', () => {
  const good = { id: 1, key: '198.19.0.1:80', weight: 1 };
  const bad: [string, Parameters<typeof validateBackends>[0], number][] = [
    ['id NO_BACKEND', [{ ...good, id: 0xffff }], 65537],
    ['negative id', [{ ...good, id: -1 }], 65537],
    ['fractional id', [{ ...good, id: 1.5 }], 65537],
    ['weight 0', [{ ...good, weight: 0 }], 65537],
    ['weight over u16', [{ ...good, weight: 65536 }], 65537],
    ['fractional weight', [{ ...good, weight: 1.5 }], 65537],
    ['duplicate key', [good, { ...good, id: 2 }], 65537],
    ['duplicate id', [good, { ...good, key: '198.19.0.2:80' }], 65537],
    ['more backends than slots', makeBackends(8), 7],
  ];
  for (const [name, backends, size] of bad) {
    assert.throws(() => validateBackends(backends, size), RangeError, name);
    for (const algorithm of algorithms) {
      assert.throws(() => buildLookupTable(algorithm, backends, size), RangeError, `${algorithm}: ${name}`);
    }
  }
  assert.doesNotThrow(() => validateBackends([good, { id: 0xfffe, key: 'b', weight: 65535 }], 65537));
});

test('key order compares code units, not the locale', () => {
  const keys = ['b', 'B', 'a', 'A', '\u00e9', 'e', '10', '9'];
  const sorted = sortedByKey(keys.map((key, id) => ({ id, key, weight: 1 }))).map((b) => b.key);
  assert.deepEqual(sorted, ['10', '9', 'A', 'B', 'a', 'b', 'e', '\u00e9']);
});
