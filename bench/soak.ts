/*
 * pnpm soak [--seconds 120] [--operations 1000] [--seed N]
 *
 * Chaos under load (soak/soak.ts): steady traffic through the real agent
 * while a seeded random sequence of operations runs. Prints the seed (the
 * same seed replays the same sequence) and a summary; writes everything to
 * bench/results/soak-<time>.json. Exit 1 when a goal is missed. Namespaces
 * slsk-*, run directory /run/sluice-soak (SLUICE_TEST_TAG suffixes both).
 */
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { tagged } from '@sluice/testbed/tag';
import { runSoak } from './soak/soak.js';
import { soakSummary } from './soak/summary.js';
import { writeJson } from './soak/operations.js';

/*
 * A leak worth the name grows in every agent process the soak runs; 2 MB/min
 * is 2.9 GB a day. The soak's idle agent holds its RSS within a few MB, and
 * the pooled slope over a 2-minute run reads well under this (see README).
 */
export const MAX_SLOPE_MB_PER_MINUTE = 2;

const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const USAGE = `usage: pnpm soak [--seconds 120] [--operations 1000] [--seed N]
  --seconds     at most this long (20..14400)
  --operations  at most this many operations (1..1000000)
  --seed        replay the sequence of an earlier run (its seed is printed at the start)
  --help        print this and exit
Needs root; makes and removes its own namespaces (slsk-*).`;
let values: { seconds?: string; operations?: string; seed?: string; help?: boolean };
try {
  ({ values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '120' },
      operations: { type: 'string', default: '1000' },
      seed: { type: 'string' },
      help: { type: 'boolean' },
    },
  }));
} catch (err) {
  process.stderr.write(`pnpm soak: ${(err as Error).message}\n${USAGE}\n`);
  process.exit(2);
}
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const int = (name: string, raw: string | undefined, min: number, max: number) => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be a whole number in ${min}..${max}, got "${raw}"`);
  return n;
};
const seconds = int('seconds', values.seconds, 20, 4 * 3600);
const operations = int('operations', values.operations, 1, 1_000_000);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : int('seed', values.seed, 0, 2 ** 32 - 1);
if (process.getuid?.() !== 0) throw new Error('pnpm soak needs root (namespaces, XDP, bpffs)');

const started = Date.now();
const log = (message: string) => process.stderr.write(`[soak +${((Date.now() - started) / 1000).toFixed(0)}s] ${message}\n`);
log(`seed ${seed}, at most ${seconds} s and ${operations} operations`);
const result = await runSoak({ seed, seconds, operations, prefix: tagged('slsk'), runDir: tagged('/run/sluice-soak'), log });
const summary = soakSummary(result, { maxSlopeMbPerMinute: MAX_SLOPE_MB_PER_MINUTE });
const slope = result.memory.slopeMbPerMinute;
const goals = {
  attributableFailures: result.attributableFailures === 0,
  brokenLongConnections: result.holds.attributableBroken === 0,
  operationErrors: result.operationErrors === 0,
  memoryFlat: slope !== null && slope < MAX_SLOPE_MB_PER_MINUTE,
};
mkdirSync(RESULTS, { recursive: true });
const file = `${RESULTS}soak-${result.startedAt.replace(/[:.]/g, '-')}.json`;
writeJson(file, { summary, goals, ...result });
process.stdout.write(
  `${summary.join('\n')}\nGoals: ${Object.entries(goals)
    .map(([k, ok]) => `${k} ${ok ? 'held' : 'MISSED'}`)
    .join(', ')}\nWrote ${file}\n`,
);
if (!Object.values(goals).every(Boolean)) process.exitCode = 1;
