/*
 * Compiles the `sluice` command (CLI and agent) to JavaScript in dist/, so a
 * call starts in milliseconds instead of paying the TypeScript loader (about
 * a second per call). bin/sluice.mjs runs dist/ only while it is newer than
 * every source it was built from, else the sources through tsx.
 *
 * dist/ sits one level under apps/agent/ like src/, so the paths resolved from
 * import.meta.url (repo-paths.ts) hold in both. The native modules stay
 * external (loaded from node_modules); the commands that need the data plane
 * are split into chunks loaded only when run. The conntrack worker is its own
 * CommonJS bundle, dist/worker-entry.cjs, the name conntrack-worker.ts loads
 * beside itself.
 */
import { build } from 'esbuild';
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const dist = `${here}dist`;
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  external: ['better-sqlite3', 'koffi'],
  minify: true,
  keepNames: true,
  sourcemap: 'linked',
  logLevel: 'warning',
  absWorkingDir: here,
};

rmSync(dist, { recursive: true, force: true });
await build({
  ...common,
  entryPoints: { sluice: 'src/cli.ts' },
  outdir: dist,
  format: 'esm',
  splitting: true,
  outExtension: { '.js': '.mjs' },
  /* Bundled CommonJS dependencies call require(); ESM has none of its own. */
  banner: { js: "import { createRequire as __sluiceRequire } from 'node:module'; const require = __sluiceRequire(import.meta.url);" },
});
await build({
  ...common,
  entryPoints: { 'worker-entry': 'src/conntrack/worker/worker-thread.ts' },
  outdir: dist,
  format: 'cjs',
  outExtension: { '.js': '.cjs' },
});
/* Written last: bin/sluice.mjs trusts dist/ only if this stamp is newer than every source. */
writeFileSync(`${dist}/built-at`, `${new Date().toISOString()}\n`);
