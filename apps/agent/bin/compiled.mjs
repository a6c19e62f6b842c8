// Whether apps/agent/dist (build.mjs) may run: built after every source it was built from was last changed.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const COMPILED_SOURCES = ['apps/agent/src', 'apps/agent/package.json', 'packages/api/src', 'packages/dataplane/src'];
export const STAMP = 'apps/agent/dist/built-at';

/** The newest modification time (ms) among the files under `paths` of `root`. */
function newestChange(root, paths) {
  let newest = 0;
  for (const source of paths) {
    const path = join(root, source);
    const files = statSync(path).isDirectory() ? readdirSync(path, { recursive: true }).map((file) => join(path, file)) : [path];
    for (const file of files) newest = Math.max(newest, statSync(file).mtimeMs);
  }
  return newest;
}

export function compiledIsFresh(root) {
  const stamp = join(root, STAMP);
  return existsSync(stamp) && statSync(stamp).mtimeMs > newestChange(root, COMPILED_SOURCES);
}
