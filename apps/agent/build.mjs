/*
 * Compiles the `sluice` command (CLI and agent) to JavaScript in dist/, so a
 * call starts in milliseconds instead of paying the TypeScript loader (about
 * a second per call). bin/sluice.mjs runs dist/ only while it is newer than
 * every source it was built from, else the sources through tsx.
 *
 * dist/ sits one level under apps/agent/ like src/, so the paths resolved from
 * import.meta.url (repo-paths.ts) hold in both. The native modules and etcd3
 * stay external (loaded from node_modules); the commands that need the data plane
 * are split into chunks loaded only when run. The conntrack worker is its own
 * CommonJS bundle, dist/worker-entry.cjs, the name conntrack-worker.ts loads
 * beside itself. dist/inputs.json lists the sources esbuild read (and the
 * manifests that choose the dependencies): bin/compiled.mjs checks those
 * files' times alone instead of walking the source trees at every call.
 */
import { build } from 'esbuild';
import { rmSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MANIFESTS } from './bin/compiled.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const dist = `${here}dist`;
const repo = resolve(here, '../..');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  /* etcd3 loads its .proto files beside its own lib/ at run time: bundled, that path would point into dist/. */
  external: ['better-sqlite3', 'koffi', 'etcd3'],
  minify: true,
  keepNames: true,
  sourcemap: 'linked',
  logLevel: 'warning',
  absWorkingDir: here,
  metafile: true,
};

rmSync(dist, { recursive: true, force: true });
const cli = await build({
  ...common,
  entryPoints: { sluice: 'src/cli.ts' },
  outdir: dist,
  format: 'esm',
  splitting: true,
  outExtension: { '.js': '.mjs' },
  /* Bundled CommonJS dependencies call require(); ESM has none of its own. */
  banner: { js: "import { createRequire as __sluiceRequire } from 'node:module'; const require = __sluiceRequire(import.meta.url);" },
});
const worker = await build({
  ...common,
  entryPoints: { 'worker-entry': 'src/conntrack/worker/worker-thread.ts' },
  outdir: dist,
  format: 'cjs',
  outExtension: { '.js': '.cjs' },
});
/* The repository's own files the build read (dependencies change only with a manifest or the lockfile). */
const sources = [cli, worker]
  .flatMap((result) => Object.keys(result.metafile.inputs))
  .filter((input) => !input.includes('node_modules/'))
  .map((input) => relative(repo, resolve(here, input)));
writeFileSync(`${dist}/inputs.json`, `${JSON.stringify([...new Set([...sources, ...MANIFESTS])].sort(), null, 1)}\n`);
/* Written last: bin/sluice.mjs trusts dist/ only if this stamp is newer than every input. */
writeFileSync(`${dist}/built-at`, `${new Date().toISOString()}\n`);
