/*
 * The test network of one e2e file: the namespaced testbed under our own
 * prefix plus a bpffs for the agent's pins, both removed at the end, also
 * when a test fails or the run is interrupted.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statfsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { down, up, type Topology } from '../../../testbed/topology.ts';

/* Our own prefix and pin directory, so the e2e run never meets the demo or other suites. */
export const PREFIX = 'sle2e';
export const PIN_DIR = '/run/sluice-e2e/bpf';
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const BPF_FS_MAGIC = 0xcafe4a11;
/* Iterators every new bpffs holds; they cannot be unlinked. */
const KERNEL_PRELOADED = new Set(['maps.debug', 'progs.debug']);
const TESTBED_CLI = join(REPO_ROOT, 'testbed/cli.ts');

export interface Network {
  topology: Topology;
  /** The LB namespace's interfaces the agent attaches to: cli0, be1..beN. */
  interfaces: string[];
  pinDir: string;
}

const isBpffs = (dir: string) => {
  try {
    return statfsSync(dir).type === BPF_FS_MAGIC;
  } catch {
    return false;
  }
};

/*
 * `ip netns exec` gives a process its own mount namespace: a bpffs mounted
 * from inside would vanish with the agent, so it is mounted here, in the root
 * mount namespace, before anything starts.
 */
function mountPinDir(): void {
  mkdirSync(PIN_DIR, { recursive: true });
  if (!isBpffs(PIN_DIR)) execFileSync('mount', ['-t', 'bpf', 'bpf', PIN_DIR]);
}

/** Removes maps a crashed agent left pinned, so the next agent does not adopt them. */
function unpinLeftovers(): void {
  if (!isBpffs(PIN_DIR)) return;
  for (const name of readdirSync(PIN_DIR)) {
    const path = join(PIN_DIR, name);
    if (!KERNEL_PRELOADED.has(name) && !statSync(path).isDirectory()) rmSync(path);
  }
}

function unmountPinDir(): void {
  if (isBpffs(PIN_DIR)) spawnSync('umount', [PIN_DIR], { stdio: 'ignore', timeout: 10_000 });
}

let tornDown = true;

/* after() hooks do not run when the run is killed: then clean up synchronously on exit. */
function guardExit(): void {
  process.once('exit', () => {
    if (tornDown) return;
    spawnSync(process.execPath, ['--import', 'tsx', TESTBED_CLI, 'down', '--quiet', '--prefix', PREFIX], {
      stdio: 'ignore',
      timeout: 30_000,
    });
    unpinLeftovers();
    unmountPinDir();
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
}

export async function setUpNetwork(): Promise<Network> {
  tornDown = false;
  guardExit();
  mountPinDir();
  unpinLeftovers();
  const topology = await up({ prefix: PREFIX, backends: 3 });
  return { topology, interfaces: topology.lb.interfaces.map((i) => i.name), pinDir: PIN_DIR };
}

/** Deletes the namespaces (which ends anything still running inside) and the pins. Idempotent. */
export async function tearDownNetwork(): Promise<void> {
  try {
    await down({ prefix: PREFIX });
  } finally {
    unpinLeftovers();
    unmountPinDir();
    tornDown = true;
  }
}
