// Imports inside apps/agent/src run one way, top to bottom (README "What is
// where"): the process -> server -> operations -> the parts the operations
// use -> store and lookup -> the data plane. A file may import its own unit
// and anything below it, never above it nor a peer on its own level; log.ts
// imports nothing of the agent and anyone may use it. Read from the files
// themselves, so a new upward import fails here with its file named.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/** Top first. A unit is a top-level folder or file of src/. */
export const LAYERS: readonly (readonly string[])[] = [
  ['process'],
  ['server'],
  ['operations'],
  /* Flow sync writes the peer's flows through conntrack's functions. */
  ['sync'],
  /* The fleet's health view runs this node's health checker while it is the elected checker. */
  ['fleet'],
  ['auth', 'health', 'conntrack', 'stats', 'metrics', 'reconcile', 'forwarding', 'announce'],
  ['store'],
];
/* Below the store: the @sluice/dataplane package, imported by name (it imports nothing of the agent). */
/** The process: `sluice` and `sluice agent`'s flags, settings, lock and services file. */
const PROCESS_FILES = new Set(['cli', 'cli.ts', 'main.ts', 'settings.ts', 'agent-lock.ts', 'config-file.ts', 'repo-paths.ts', 'default-paths.ts']);
/** Imports nothing of the agent; every layer may log. */
const LEAF = 'log.ts';

function unitOf(path: string): string {
  const top = path.split('/')[0]!;
  return PROCESS_FILES.has(top) ? 'process' : top;
}

function rankOf(unit: string): number | undefined {
  const rank = LAYERS.findIndex((layer) => layer.includes(unit));
  return rank < 0 ? undefined : rank;
}

/** Relative specifiers of static imports, re-exports, dynamic import() and require(). */
export function importsOf(source: string): string[] {
  const found: string[] = [];
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"](\.[^'"]+)['"]/g;
  for (const match of source.matchAll(pattern)) found.push(match[1]!);
  return found;
}

/** Every import that breaks the order, as "file -> target (why)". Paths are relative to src/. */
export function layerViolations(files: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  for (const [file, source] of files) {
    const from = unitOf(file);
    const fromRank = file === LEAF ? undefined : rankOf(from);
    if (file !== LEAF && fromRank === undefined) {
      problems.push(`${file}: in no layer; add its folder to LAYERS in test/layers.test.ts and to README "What is where"`);
      continue;
    }
    for (const specifier of importsOf(source)) {
      /* Sources import their .ts siblings as .js (tsx and tsc resolve it). */
      const target = normalize(join(dirname(file), specifier))
        .replace(/\\/g, '/')
        .replace(/\.js$/, '.ts');
      /* The agent's own manifest is data (its version), not a layer. */
      if (target === '../package.json') continue;
      if (target.startsWith('..')) {
        problems.push(`${file} -> ${specifier} (outside src/)`);
        continue;
      }
      const to = unitOf(target);
      if (file === LEAF) {
        problems.push(`${file} -> ${target} (log.ts imports nothing of the agent)`);
        continue;
      }
      if (target === LEAF || to === from) continue;
      const toRank = rankOf(to);
      if (toRank === undefined) problems.push(`${file} -> ${target} (${to} is in no layer)`);
      else if (toRank < fromRank!) problems.push(`${file} -> ${target} (upward: ${from} is below ${to})`);
      else if (toRank === fromRank) problems.push(`${file} -> ${target} (sideways: ${from} and ${to} are peers)`);
    }
  }
  return problems;
}

function sourceFiles(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.(ts|cjs|mjs|js)$/.test(entry.name)) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(dir, path).replace(/\\/g, '/'), readFileSync(path, 'utf8'));
  }
  return files;
}

test('apps/agent/src imports only downward, layer by layer', () => {
  const files = sourceFiles(SRC);
  /* The tree was read, not an empty or wrong folder: its entry point and its domain are there. */
  assert.ok(files.has('main.ts') && files.has('operations/agent.ts'), `read ${files.size} files from ${SRC}, without main.ts or operations/agent.ts`);
  assert.deepEqual(layerViolations(files), []);
});

test('the check names an upward, a sideways and an unplaced import', () => {
  const files = new Map([
    ['auth/first-admin.ts', "import { log } from '../log.js';\nimport { Agent } from '../operations/agent.js';"],
    ['stats/traffic.ts', "export { x } from '../health/index.js';"],
    ['operations/agent.ts', "const m = await import('../store/index.js');"],
    ['newthing/x.ts', ''],
    ['log.ts', "import { y } from './store/index.js';"],
  ]);
  assert.deepEqual(layerViolations(files), [
    'auth/first-admin.ts -> operations/agent.ts (upward: auth is below operations)',
    'stats/traffic.ts -> health/index.ts (sideways: stats and health are peers)',
    'newthing/x.ts: in no layer; add its folder to LAYERS in test/layers.test.ts and to README "What is where"',
    'log.ts -> store/index.ts (log.ts imports nothing of the agent)',
  ]);
});
