/*
 * The version the agent reports (status, sluice_agent_info) is its
 * package's, so a release bump in apps/agent/package.json is all it takes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { AGENT_VERSION } from '../src/main.js';

it('AGENT_VERSION is the version in apps/agent/package.json', () => {
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  assert.match(version, /^\d+\.\d+\.\d+/);
  assert.equal(AGENT_VERSION, version);
});
