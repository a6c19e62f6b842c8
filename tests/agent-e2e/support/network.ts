/*
 * The test network of one agent-e2e file: the namespaced testbed under our
 * own prefix (slag), and our own run directory for pins (a bpffs mounted in
 * the root mount namespace), the store, the socket and the admin token.
 * Removed at the end, also when a test fails or the run is interrupted.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statfsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { down, up, type Topology } from '../../../testbed/topology.ts';

export const PREFIX = 'slag';
export const RUN_DIR = '/run/sluice-agtest';
export const PIN_DIR = join(RUN_DIR, 'bpf');
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const BPF_FS_MAGIC = 0xcafe4a11;
const KERNEL_PRELOADED = new Set(['maps.debug', 'progs.debug']);
const TESTBED_CLI = join(REPO_ROOT, 'testbed/cli.ts');

export interface Network {
  topology: Topology;
  interfaces: string[];
  pinDir: string;
  runDir: string;
}

const isBpffs = (dir: string) => {
  try {
    return statfsSync(dir).type === BPF_FS_MAGIC;
  } catch {
    return false;
  }
};

/*
 * `ip netns exec` gives the agent its own mount namespace: a bpffs it
 * mounted would vanish with it (and a restarted agent would find no pins),
 * so the bpffs is mounted here, in the root mount namespace, first.
 */
function mountPinDir(): void {
  mkdirSync(PIN_DIR, { recursive: true });
  if (!isBpffs(PIN_DIR)) execFileSync('mount', ['-t', 'bpf', 'bpf', PIN_DIR]);
}

function unpinAll(): void {
  if (!isBpffs(PIN_DIR)) return;
  for (const name of readdirSync(PIN_DIR)) {
    const path = join(PIN_DIR, name);
    if (!KERNEL_PRELOADED.has(name) && !statSync(path).isDirectory()) rmSync(path);
  }
}

/** Everything of a previous run: pins, store, socket, token. */
function clearRunDir(): void {
  unpinAll();
  for (const name of ['data', 'agent.sock', 'admin.token']) rmSync(join(RUN_DIR, name), { recursive: true, force: true });
}

function unmountPinDir(): void {
  if (isBpffs(PIN_DIR)) spawnSync('umount', [PIN_DIR], { stdio: 'ignore', timeout: 10_000 });
}

let tornDown = true;

function guardExit(): void {
  process.once('exit', () => {
    if (tornDown) return;
    spawnSync(process.execPath, ['--import', 'tsx', TESTBED_CLI, 'down', '--quiet', '--prefix', PREFIX], { stdio: 'ignore', timeout: 30_000 });
    clearRunDir();
    unmountPinDir();
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
}

export async function setUpNetwork(): Promise<Network> {
  tornDown = false;
  guardExit();
  mountPinDir();
  clearRunDir();
  const topology = await up({ prefix: PREFIX, backends: 3 });
  return { topology, interfaces: topology.lb.interfaces.map((i) => i.name), pinDir: PIN_DIR, runDir: RUN_DIR };
}

/** Deletes the namespaces (ending anything still inside), the pins and the run directory's state. Idempotent. */
export async function tearDownNetwork(): Promise<void> {
  try {
    await down({ prefix: PREFIX });
  } finally {
    clearRunDir();
    unmountPinDir();
    tornDown = true;
  }
}
