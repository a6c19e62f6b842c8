/* The line after a change to a fleet's desired state, and `sluice health`'s CHECKED BY in a fleet. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type BackendHealth, type FleetNode, convergenceAfterChange } from '@sluice/api';
import { noteAnswer } from '../../src/cli/convergence.js';
import { formatHealth } from '../../src/cli/read-commands.js';

const compat = { hashSeed: 0, lookupTableSize: 65537, selection: 1 };
const node = (name: string, appliedRevision: number, healthy = true): FleetNode => ({
  node: name,
  version: 'test',
  appliedRevision,
  healthy,
  reason: healthy ? null : 'refused',
  announcing: null,
  traffic: null,
  compat,
  updatedAt: 0,
});

test('all nodes at R: "converged N of M at revision R" and nothing more', () => {
  assert.equal(
    convergenceAfterChange({ revision: 42, converged: 3, nodes: [node('a', 42), node('b', 43), node('c', 42)] }, 120),
    'converged 3 of 3 at revision 42',
  );
});

test('not all within the wait: says so plainly and names who is behind or not applying', () => {
  const line = convergenceAfterChange({ revision: 42, converged: 1, nodes: [node('a', 42), node('b', 41), node('c', 42, false)] }, 2000);
  assert.equal(line, 'converged 1 of 3 at revision 42: NOT converged within 2.0 s (not there yet: b, c)');
});

test('store unreachable: convergence unknown', () => {
  assert.equal(convergenceAfterChange({ revision: null, converged: 0, nodes: [] }, 0), 'store unreachable: convergence unknown');
});

test('only answered mutations of the desired state on a fleet node count as a change (noteAnswer)', async () => {
  const { reportConvergence } = await import('../../src/cli/convergence.js');
  /* Nothing noted: reportConvergence returns without asking the agent (no socket here). */
  noteAnswer({}, { path: 'auth.login', mutation: true, ok: true, fleet: true });
  noteAnswer({}, { path: 'services.create', mutation: true, ok: true, fleet: false });
  noteAnswer({}, { path: 'services.create', mutation: true, ok: false, fleet: true });
  noteAnswer({}, { path: 'services.list', mutation: false, ok: true, fleet: true });
  const written: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => written.push(chunk) > 0) as typeof process.stderr.write;
  try {
    await reportConvergence(true);
    noteAnswer({ socket: '/nonexistent/sluice.sock' }, { path: 'backends.setWeight', mutation: true, ok: true, fleet: true });
    await reportConvergence(true);
  } finally {
    process.stderr.write = write;
  }
  assert.equal(written.length, 1, 'only the noted change asked for convergence');
  assert.match(written[0]!, /the change went through; convergence unknown \(/);
});

const row = (endpoint: string, up: boolean, checkedBy: string | null): BackendHealth => ({
  service: '198.18.100.1:80/tcp',
  endpoint,
  state: 'ready',
  checkType: 'tcp',
  up,
  pending: false,
  lastCheckAt: null,
  lastLatencyMs: null,
  lastError: up ? null : 'connection refused',
  consecutiveSuccesses: 0,
  consecutiveFailures: 0,
  checkedBy,
});

test('sluice health in a fleet: "checked by NODE" and a CHECKED BY column; a single node shows neither', () => {
  const fleet = formatHealth([row('10.0.0.1:80', true, 'lb-2'), row('10.0.0.2:80', false, 'lb-2')]);
  assert.match(fleet, /^checked by lb-2 /);
  assert.match(fleet, /CHECKED BY/);
  assert.match(fleet, /10\.0\.0\.2:80 .* lb-2 +connection refused$/m);
  const single = formatHealth([row('10.0.0.1:80', true, null)]);
  assert.doesNotMatch(single, /checked by|CHECKED BY/i);
});
