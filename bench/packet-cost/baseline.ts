/*
 * The baseline data plane (issue 14): bpf/ of an older commit, taken out of
 * git with `git archive` into a temporary directory and built there with its
 * own Makefile, so the packet-cost worker can time it beside this checkout's
 * build in the same run. The build is kept per commit hash and reused.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tagged } from '@sluice/testbed/tag';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface BaselineObject {
  /** The full commit hash the object was built from. */
  commit: string;
  objectPath: string;
}

export function buildBaselineObject(commit: string): BaselineObject {
  let full: string;
  try {
    full = execFileSync('git', ['-C', ROOT, 'rev-parse', '--verify', '--end-of-options', `${commit}^{commit}`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  } catch {
    throw new Error(`--baseline ${commit}: no such commit in ${ROOT}`);
  }
  const dir = join(tmpdir(), tagged('sluice-bench'), `baseline-${full}`);
  const objectPath = join(dir, 'bpf', 'build', 'sluice.bpf.o');
  if (existsSync(objectPath)) return { commit: full, objectPath };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  /* Only bpf/: it builds on its own (its Makefile includes nothing outside it). */
  execFileSync('sh', ['-c', 'git -C "$1" archive "$2" bpf | tar -x -C "$3"', 'sh', ROOT, full, dir]);
  execFileSync('make', ['-s', '-C', join(dir, 'bpf'), 'build/sluice.bpf.o'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (!existsSync(objectPath)) throw new Error(`--baseline ${commit}: make built no ${objectPath}`);
  return { commit: full, objectPath };
}
