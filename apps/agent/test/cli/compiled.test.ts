/*
 * The compiled `sluice` (apps/agent/build.mjs -> dist/): bin/sluice.mjs runs
 * it only while it is newer than every source, and it answers as the sources do.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { INPUTS, MANIFESTS, STAMP, compiledIsFresh } from '../../bin/compiled.mjs';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));
const bin = join(repo, 'apps/agent/bin/sluice.mjs');

test('the compiled build is fresh only when its stamp is newer than every file it was built from', () => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-compiled-'));
  try {
    const at = (path: string, seconds: number) => {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), '');
      utimesSync(join(root, path), seconds, seconds);
    };
    const inputs = ['apps/agent/src/cli.ts', 'packages/dataplane/src/x/deep/file.ts', ...(MANIFESTS as string[])];
    for (const input of inputs) at(input, 1000);
    mkdirSync(join(root, STAMP, '..'), { recursive: true });
    writeFileSync(join(root, INPUTS), JSON.stringify(inputs));
    assert.equal(compiledIsFresh(root), false, 'no stamp: never built');
    at(STAMP, 2000);
    assert.equal(compiledIsFresh(root), true);
    at('packages/dataplane/src/x/deep/file.ts', 3000);
    assert.equal(compiledIsFresh(root), false, 'a source changed after the build, even deep in a folder');
    at('packages/dataplane/src/x/deep/file.ts', 1000);
    at('pnpm-lock.yaml', 3000);
    assert.equal(compiledIsFresh(root), false, 'the dependencies changed after the build');
    at('pnpm-lock.yaml', 1000);
    assert.equal(compiledIsFresh(root), true);
    rmSync(join(root, 'apps/agent/src/cli.ts'));
    assert.equal(compiledIsFresh(root), false, 'a file it was built from is gone');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the build lists what it read: the sources of every part it bundles, and the manifests', () => {
  const build = spawnSync('node', [join(repo, 'apps/agent/build.mjs')], { encoding: 'utf8' });
  assert.equal(build.status, 0, build.stderr);
  const inputs = JSON.parse(readFileSync(join(repo, INPUTS), 'utf8')) as string[];
  for (const file of [
    'apps/agent/src/cli.ts',
    'apps/agent/src/main.ts',
    'packages/api/src/names/service.ts',
    'packages/dataplane/src/index.ts',
    ...(MANIFESTS as string[]),
  ])
    assert.ok(inputs.includes(file), `${file} missing from ${INPUTS}`);
  assert.ok(
    inputs.every((file) => existsSync(join(repo, file)) && !file.includes('node_modules')),
    'only files of the repository that exist',
  );
  assert.equal(compiledIsFresh(repo), true, 'fresh right after the build');
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

/* The files a compiled module pulls in before it runs: its static imports, transitively (dynamic import() is not followed). */
function staticGraph(dist: string, entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const match of readFileSync(join(dist, file), 'utf8').matchAll(/(?:^|[;}\s])(?:import|export)\b[^;("']*?from\s*"\.\/([^"]+)"|import\s*"\.\/([^"]+)"/g))
      visit((match[1] ?? match[2])!);
  };
  visit(entry);
  return seen;
}

test('what a call loads (issue 15): --help neither zod nor tRPC; a call to the agent tRPC but not zod', () => {
  const dist = join(repo, 'apps/agent/dist');
  const holds = (files: Iterable<string>, name: string) => [...files].filter((file) => readFileSync(join(dist, file), 'utf8').includes(name));
  /* keepNames (build.mjs) keeps these names as strings in the bundle: ZodError is zod's, createTRPCClient tRPC's client. */
  const eager = staticGraph(dist, 'sluice.mjs');
  assert.deepEqual(holds(eager, 'ZodError'), [], 'zod is loaded by every call');
  assert.deepEqual(holds(eager, 'createTRPCClient'), [], 'the tRPC client is loaded by every call, --help too');
  const clientChunks = holds(
    readdirSync(dist).filter((file) => file.endsWith('.mjs')),
    'createTRPCClient',
  );
  assert.equal(clientChunks.length, 1, `one chunk holds the client: ${clientChunks.join(', ')}`);
  const agentCall = new Set([...eager, ...staticGraph(dist, clientChunks[0]!)]);
  assert.deepEqual(holds(agentCall, 'ZodError'), [], 'zod is loaded by a call to the agent');
  assert.ok(holds(readdirSync(dist), 'ZodError').length > 0, 'zod is in the build (the agent needs it): the check looks for the right name');
});
