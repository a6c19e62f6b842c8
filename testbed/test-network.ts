/*
 * The test network of one end-to-end file: the namespaced testbed under the
 * suite's own prefix, and the suite's own run directory with a bpffs for the
 * agent's pins. Removed at the end, also when a test fails or the run is
 * interrupted, so suites never meet each other, the demo or a crashed run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statfsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Topology, down, up } from './topology.ts';

export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

const BPF_FS_MAGIC = 0xcafe4a11;
/* Iterators every new bpffs holds; they cannot be unlinked. */
const KERNEL_PRELOADED = new Set(['maps.debug', 'progs.debug']);
const TESTBED_CLI = join(REPO_ROOT, 'testbed/cli.ts');

export interface Network {
  topology: Topology;
  /** The LB namespace's interfaces the agent attaches to: cli0, be1..beN. */
  interfaces: string[];
  pinDir: string;
  runDir: string;
}

export interface TestNetworkPlan {
  prefix: string;
  runDir: string;
  /** Run-directory entries a previous agent may have left (store, socket, token). */
  stateFiles?: string[];
  /** Backend hosts, default 3. */
  backends?: number;
}

const isBpffs = (dir: string) => {
  try {
    return statfsSync(dir).type === BPF_FS_MAGIC;
  } catch {
    return false;
  }
};

export function testNetwork(plan: TestNetworkPlan): { setUp(): Promise<Network>; tearDown(): Promise<void> } {
  const pinDir = join(plan.runDir, 'bpf');
  let tornDown = true;

  /*
   * `ip netns exec` gives the agent its own mount namespace: a bpffs it
   * mounted would vanish with it (and a restarted agent would find no pins),
   * so the bpffs is mounted here, in the root mount namespace, first.
   */
  const mountPinDir = () => {
    mkdirSync(pinDir, { recursive: true });
    if (!isBpffs(pinDir)) execFileSync('mount', ['-t', 'bpf', 'bpf', pinDir]);
  };
  const unmountPinDir = () => {
    if (isBpffs(pinDir)) spawnSync('umount', [pinDir], { stdio: 'ignore', timeout: 10_000 });
  };
  /** Maps and state a crashed agent left, so the next agent adopts nothing. */
  const clearRunDir = () => {
    if (isBpffs(pinDir)) {
      for (const name of readdirSync(pinDir)) {
        const path = join(pinDir, name);
        if (!KERNEL_PRELOADED.has(name) && !statSync(path).isDirectory()) rmSync(path);
      }
    }
    for (const name of plan.stateFiles ?? []) rmSync(join(plan.runDir, name), { recursive: true, force: true });
  };
  /* after() hooks do not run when the run is killed: then clean up synchronously on exit. */
  const guardExit = () => {
    process.once('exit', () => {
      if (tornDown) return;
      spawnSync(process.execPath, ['--import', 'tsx', TESTBED_CLI, 'down', '--quiet', '--prefix', plan.prefix], {
        stdio: 'ignore',
        timeout: 30_000,
      });
      clearRunDir();
      unmountPinDir();
    });
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  };

  return {
    async setUp() {
      tornDown = false;
      guardExit();
      mountPinDir();
      clearRunDir();
      const topology = await up({ prefix: plan.prefix, backends: plan.backends ?? 3 });
      return { topology, interfaces: topology.lb.interfaces.map((i) => i.name), pinDir, runDir: plan.runDir };
    },
    /** Deletes the namespaces (ending anything still inside), the pins and the run state. Idempotent. */
    async tearDown() {
      try {
        await down({ prefix: plan.prefix });
      } finally {
        clearRunDir();
        unmountPinDir();
        tornDown = true;
      }
    },
  };
}
