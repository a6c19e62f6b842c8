// Whether apps/agent/dist (build.mjs) may run: built after every file it was built from was last changed.
// The files are the ones the build read, listed by it in dist/inputs.json: statting that list costs a few
// milliseconds, where walking the source trees cost tens at every call (issue 15). A source added since
// counts once a listed file imports it (that file changed); a listed file that is gone means a rebuild.
import { readFileSync, statSync } from 'node:fs';

/** Beside the sources: what chooses the dependencies bundled in (node_modules itself is not watched). */
export const MANIFESTS = ['apps/agent/package.json', 'packages/api/package.json', 'packages/dataplane/package.json', 'pnpm-lock.yaml'];
export const STAMP = 'apps/agent/dist/built-at';
export const INPUTS = 'apps/agent/dist/inputs.json';

/** `root`: the repository's folder. Paths are joined by hand: path.join costs here. */
export function compiledIsFresh(root) {
  const base = root.endsWith('/') ? root : `${root}/`;
  try {
    const builtAt = statSync(base + STAMP).mtimeMs;
    const inputs = JSON.parse(readFileSync(base + INPUTS, 'utf8'));
    return inputs.length > 0 && inputs.every((path) => statSync(base + path).mtimeMs < builtAt);
  } catch {
    /* No stamp, no list, or a listed file gone: not built from what is here now. */
    return false;
  }
}
