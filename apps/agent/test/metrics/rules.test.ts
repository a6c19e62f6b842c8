/*
 * The shipped Prometheus rules (ops/prometheus/): promtool accepts them and
 * their unit tests pass, and every sluice_* series they read is one the
 * agent exports, so a renamed metric cannot silently blind an alert.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { createMetricsRegistry } from '../../src/metrics/registry.js';

const dir = fileURLToPath(new URL('../../../../ops/prometheus/', import.meta.url));
const promtool = (...args: string[]) => spawnSync('promtool', args, { cwd: dir, encoding: 'utf8' });

test('promtool accepts the configuration and the rules, and the rules pass their unit tests', () => {
  for (const args of [
    ['check', 'config', 'prometheus.yml'],
    ['check', 'rules', 'rules.yml'],
    ['test', 'rules', 'rules.test.yml'],
  ]) {
    const result = promtool(...args);
    assert.equal(result.error, undefined, 'promtool must be installed (scripts/setup.sh installs Debian prometheus)');
    assert.equal(result.status, 0, `promtool ${args.join(' ')}:\n${result.stdout}${result.stderr}`);
  }
});

test('every sluice_* series the rules read is exported by the agent', () => {
  const rules = readFileSync(`${dir}rules.yml`, 'utf8');
  const read = new Set(
    rules
      .split('\n')
      .filter((line) => /^\s*expr:/.test(line))
      .flatMap((line) => line.match(/\bsluice_[a-z_]+/g) ?? []),
  );
  assert.ok(read.size >= 8, `the rules read the agent's series (${[...read].join(', ')})`);
  const registry = createMetricsRegistry(() => {
    throw new Error('never collected: only the names are read');
  });
  const exported = new Set(registry.getMetricsAsArray().map((metric) => metric.name));
  for (const name of read) assert.ok(exported.has(name), `rules.yml reads ${name}, which the agent does not export`);
});
