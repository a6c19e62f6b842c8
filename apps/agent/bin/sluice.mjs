#!/usr/bin/env node
// The `sluice` command: the compiled build (apps/agent/build.mjs, dist/) when it
// is newer than every source it was built from, else the TypeScript through
// tsx, so an edit never runs stale code and there is no build step to forget.
// SLUICE_CLI_FROM_SOURCE=1 always runs the sources.
import { fileURLToPath } from 'node:url';
import { compiledIsFresh } from './compiled.mjs';

if (process.env.SLUICE_CLI_FROM_SOURCE !== '1' && compiledIsFresh(fileURLToPath(new URL('../../../', import.meta.url)))) {
  await import('../dist/sluice.mjs');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}
