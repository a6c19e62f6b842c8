/*
 * The compiled `sluice` (apps/agent/build.mjs -> dist/): bin/sluice.mjs runs
 * it only while it is newer than every source, and it answers as the sources do.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
// @ts-expect-error: a plain .mjs beside the bin, no types
import { COMPILED_SOURCES, STAMP, compiledIsFresh } from '../../bin/compiled.mjs';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));
const bin = join(repo, 'apps/agent/bin/sluice.mjs');

test('the compiled build is fresh only when its stamp is newer than every source', () => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-compiled-'));
  try {
    /* Folders count too (a deleted source changes its folder's time): each made here is dated like its file. */
    const at = (path: string, seconds: number) => {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), '');
      for (let p = path; p !== '.'; p = dirname(p)) utimesSync(join(root, p), seconds, seconds);
    };
    for (const source of COMPILED_SOURCES as string[]) at(source.endsWith('.json') ? source : `${source}/x/file.ts`, 1000);
    assert.equal(compiledIsFresh(root), false, 'no stamp: never built');
    at(STAMP, 2000);
    assert.equal(compiledIsFresh(root), true);
    at('packages/dataplane/src/x/file.ts', 3000);
    assert.equal(compiledIsFresh(root), false, 'a source changed after the build, even deep in a folder');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the compiled command prints what the sources print', () => {
  const build = spawnSync('node', [join(repo, 'apps/agent/build.mjs')], { encoding: 'utf8' });
  assert.equal(build.status, 0, build.stderr);
  const run = (env: Record<string, string>, ...args: string[]) => spawnSync('node', [bin, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  for (const args of [['--help'], ['service', 'add', '--help'], ['backend', 'set', 'a', 'b', '--weight', 'x']]) {
    const compiled = run({}, ...args);
    const source = run({ SLUICE_CLI_FROM_SOURCE: '1' }, ...args);
    assert.equal(compiled.status, source.status, `exit of sluice ${args.join(' ')}`);
    assert.equal(compiled.stdout, source.stdout, `stdout of sluice ${args.join(' ')}`);
    assert.equal(compiled.stderr, source.stderr, `stderr of sluice ${args.join(' ')}`);
  }
});
