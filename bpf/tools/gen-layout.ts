/*
 * Writes the generated layouts from the BTF of the compiled programs (see
 * btf-layout.ts). Run after `make -C bpf`:
 *
 *   pnpm gen:layout                 # write the files
 *   pnpm gen:layout --check         # exit 1 if a file is out of date
 *   pnpm gen:layout --object /tmp/x.bpf.o   # the balancer's layout from another object
 *
 * Three layouts: the balancer's (sluice_shared.h -> layout.ts), the backend
 * decapsulation program's (sluice_decap.h -> decap-layout.ts) and the
 * health-probe steering program's (sluice_health.h -> health-layout.ts).
 * EXTRA_CFLAGS (as given to make) is passed on to the anchor compiles.
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

export const DECAP_LAYOUT = {
  objectPath: join(repoRoot, 'bpf/build/decap.bpf.o'),
  headerPath: join(repoRoot, 'bpf/include/sluice_decap.h'),
  out: join(repoRoot, 'packages/dataplane/src/generated/decap-layout.ts'),
  indexName: 'decapStructLayouts',
};

export const HEALTH_LAYOUT = {
  objectPath: join(repoRoot, 'bpf/build/health_steer.bpf.o'),
  headerPath: join(repoRoot, 'bpf/include/sluice_health.h'),
  out: join(repoRoot, 'packages/dataplane/src/generated/health-layout.ts'),
  indexName: 'healthStructLayouts',
};

interface Target {
  objectPath: string;
  headerPath: string;
  out: string;
  indexName?: string;
}

/* Returns false when --check finds the file stale. */
function writeLayout(target: Target, check: boolean, extraCflags: string[]): boolean {
  if (!existsSync(target.objectPath)) throw new Error(`${target.objectPath} does not exist; build it first with \`make -C bpf\``);
  const source = generateLayoutSource({ ...target, extraCflags, repoRoot });
  const current = existsSync(target.out) ? readFileSync(target.out, 'utf8') : '';
  if (check) {
    if (current !== source) {
      console.error(`gen-layout: ${target.out} is out of date; run \`pnpm gen:layout\``);
      return false;
    }
    console.log(`gen-layout: ${target.out} is up to date`);
  } else if (current === source) {
    console.log(`gen-layout: ${target.out} unchanged`);
  } else {
    writeFileSync(target.out, source);
    console.log(`gen-layout: wrote ${target.out}`);
  }
  return true;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      object: { type: 'string', default: DEFAULT_OBJECT },
      header: { type: 'string', default: DEFAULT_HEADER },
      out: { type: 'string', default: DEFAULT_OUT },
      check: { type: 'boolean', default: false },
    },
  });
  const extraCflags = (process.env.EXTRA_CFLAGS ?? '').split(/\s+/).filter(Boolean);
  const balancer = { objectPath: resolve(values.object), headerPath: resolve(values.header), out: resolve(values.out) };
  const current = [balancer, DECAP_LAYOUT, HEALTH_LAYOUT].map((target) => writeLayout(target, values.check, extraCflags));
  if (current.includes(false)) process.exit(1);
}

try {
  main();
} catch (err) {
  console.error(`gen-layout: ${(err as Error).message}`);
  process.exit(1);
}
