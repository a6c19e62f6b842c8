/*
 * Generated TypeScript leaves the generator already formatted, so the
 * repository's format check (`pnpm lint`) covers generated files like any
 * other and a regenerated file never shows as format drift. The text goes
 * through the repository's own Biome (pinned in the root package.json),
 * with the root biome.jsonc.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export function formatGenerated(source: string, repoRoot: string, fileName: string): string {
  const biome = join(repoRoot, 'node_modules/.bin/biome');
  if (!existsSync(biome)) throw new Error(`${biome} is missing: run \`pnpm install\` at the repository root`);
  return execFileSync(biome, ['format', `--stdin-file-path=${fileName}`], { cwd: repoRoot, input: source, encoding: 'utf8' });
}
