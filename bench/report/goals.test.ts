// The goal verdicts of the bench's summary: a figure just past its goal is missed, whatever its rounded ratio reads.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { againstGoal } from '../record.js';
import { evaluateGoals } from './goals.js';

const ADD_BACKEND = 'control-plane/visible-after/add-backend';
const verdictOf = (ms: number) => evaluateGoals([againstGoal('control-plane', ADD_BACKEND, 'ms', 5, ms, 'test')]).find((g) => g.record === ADD_BACKEND)!;

test('5.006 ms against "within 5 ms" is missed, though its ratio reads 1.00', () => {
  const record = againstGoal('control-plane', ADD_BACKEND, 'ms', 5, 5.006, 'test');
  assert.equal(record.ratio, 1, 'the table rounds the ratio to 3 significant digits');
  const verdict = verdictOf(5.006);
  assert.equal(verdict.holds, false);
  assert.match(verdict.verdict, /^Missed: measured 5.006 ms/);
});

test('a figure under or at its goal holds; one with no figure is unknown', () => {
  assert.equal(verdictOf(4.99).holds, true);
  assert.equal(verdictOf(5).holds, true);
  const unknown = evaluateGoals([]).find((g) => g.record === ADD_BACKEND)!;
  assert.equal(unknown.holds, null);
  assert.match(unknown.verdict, /^Unknown/);
});
