/*
 * Writes packages/dataplane/src/generated/layout.ts from the BTF of the
 * compiled program (see btf-layout.ts). Run after `make -C bpf`:
 *
 *   pnpm gen:layout                 # write the file
 *   pnpm gen:layout --check         # exit 1 if the file is out of date
 *   pnpm gen:layout --object /tmp/x.bpf.o
 *
 * EXTRA_CFLAGS (as given to make) is passed on to the anchor compile.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateLayoutSource } from './btf-layout.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export const DEFAULT_OBJECT = join(repoRoot, 'bpf/build/sluice.bpf.o');
export const DEFAULT_HEADER = join(repoRoot, 'bpf/include/sluice_shared.h');
export const DEFAULT_OUT = join(repoRoot, 'packages/dataplane/src/generated/layout.ts');

function main(): void {
  const { values } = parseArgs({
    options: {
      object: { type: 'string', default: DEFAULT_OBJECT },
      header: { type: 'string', default: DEFAULT_HEADER },
      out: { type: 'string', default: DEFAULT_OUT },
      check: { type: 'boolean', default: false },
    },
  });
  const objectPath = resolve(values.object);
  if (!existsSync(objectPath)) {
    console.error(`gen-layout: ${objectPath} does not exist; build it first with \`make -C bpf\``);
    process.exit(1);
  }
  const extraCflags = (process.env.EXTRA_CFLAGS ?? '').split(/\s+/).filter(Boolean);
  const source = generateLayoutSource({ objectPath, headerPath: resolve(values.header), extraCflags, repoRoot });
  const current = existsSync(values.out) ? readFileSync(values.out, 'utf8') : '';
  if (values.check) {
    if (current !== source) {
      console.error(`gen-layout: ${values.out} is out of date; run \`pnpm gen:layout\``);
      process.exit(1);
    }
    console.log(`gen-layout: ${values.out} is up to date`);
    return;
  }
  if (current === source) {
    console.log(`gen-layout: ${values.out} unchanged`);
    return;
  }
  writeFileSync(values.out, source);
  console.log(`gen-layout: wrote ${values.out}`);
}

try {
  main();
} catch (err) {
  console.error(`gen-layout: ${(err as Error).message}`);
  process.exit(1);
}
