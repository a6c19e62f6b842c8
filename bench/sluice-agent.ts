/*
 * The real agent (`sluice agent`) inside one of the bench's namespaces, with
 * its maps pinned in the bench's own bpffs. The bpffs is mounted from the
 * root mount namespace first: `ip netns exec` gives its child a private copy
 * of the mounts, so a mount made in there would be invisible to the bench.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { ensureBpffs, isBpffs, unpinAll } from '@sluice/dataplane';
import { createSocketClient, type SocketClient } from '@sluice/agent/client';
import { tagged } from '@sluice/testbed/tag';
import { compiledIsFresh } from '../apps/agent/bin/compiled.mjs';
import { runCommand, sleep, startIn, stopChild } from './processes.js';

export const BENCH_RUN_DIR = tagged('/run/sluice-bench');
export const BENCH_PIN_DIR = join(BENCH_RUN_DIR, 'bpf');
const SLUICE_BIN = fileURLToPath(new URL('../apps/agent/bin/sluice.mjs', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/*
 * The bench times the compiled agent, as operators run it. bin/sluice.mjs runs
 * the TypeScript through tsx when dist/ is older than a source, which costs
 * more CPU and memory (an idle agent read 2.2-2.8 % of a core that way against
 * 1.3-1.7 % compiled): after an edit, build it first.
 */
export function ensureCompiledAgent(): void {
  if (compiledIsFresh(REPO_ROOT)) return;
  process.stderr.write('[bench] apps/agent/dist is older than its sources: building it (node apps/agent/build.mjs)\n');
  execFileSync(process.execPath, [join(REPO_ROOT, 'apps/agent/build.mjs')], { stdio: 'inherit' });
  if (!compiledIsFresh(REPO_ROOT)) throw new Error('apps/agent/dist is still older than its sources after node apps/agent/build.mjs');
}

export interface AgentHandle {
  namespace: string;
  interfaces: string[];
  child: ChildProcess;
  pid: number;
  configFile: string;
  /** The agent's unix socket (tRPC) and its admin token file. */
  socket: string;
  tokenFile: string;
  /** A typed tRPC client over the socket, as the CLI uses, with the admin token. */
  client(): SocketClient;
  /** Rewrite the configuration file and tell the agent (SIGHUP). */
  reload(config: unknown): void;
  log(): string;
}

export function prepareBpffs(): void {
  ensureBpffs(BENCH_PIN_DIR);
  unpinAll(BENCH_PIN_DIR);
}

export function cleanBpffs(): void {
  if (isBpffs(BENCH_PIN_DIR)) unpinAll(BENCH_PIN_DIR);
}

export async function startAgent(
  namespace: string,
  interfaces: string[],
  config: unknown,
  options: { flowTableSize?: number; adminPassword?: string; keepState?: boolean; keepPinsOnExit?: boolean } = {},
): Promise<AgentHandle> {
  mkdirSync(BENCH_RUN_DIR, { recursive: true });
  const configFile = join(BENCH_RUN_DIR, `agent-${namespace}.json`);
  const readyFile = join(BENCH_RUN_DIR, `agent-${namespace}.ready`);
  rmSync(readyFile, { force: true });
  ensureCompiledAgent();
  writeFileSync(configFile, JSON.stringify(config));
  /* A fresh store, socket and token of its own, so it never meets another agent's state (keepState: a restart of the last one). */
  const stateDir = join(BENCH_RUN_DIR, `agent-${namespace}`);
  if (!options.keepState) rmSync(stateDir, { recursive: true, force: true });
  const socket = join(stateDir, 'agent.sock');
  const tokenFile = join(stateDir, 'admin.token');
  const args = [
    SLUICE_BIN,
    'agent',
    '--interfaces',
    interfaces.join(','),
    '--config',
    configFile,
    '--pin-dir',
    BENCH_PIN_DIR,
    /* keepPinsOnExit: its maps stay pinned for the next agent to adopt (a restart); stopAgent still takes the program off. */
    ...(options.keepPinsOnExit ? [] : ['--detach-on-exit']),
    '--ready-file',
    readyFile,
    '--data-dir',
    join(stateDir, 'data'),
    '--socket',
    socket,
    '--token-file',
    tokenFile,
  ];
  if (options.flowTableSize) args.push('--flow-table-size', String(options.flowTableSize));
  if (options.adminPassword) {
    /* The console's user "admin", created by the agent on its first start (the store is fresh). */
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const passwordFile = join(stateDir, 'admin.password');
    writeFileSync(passwordFile, `${options.adminPassword}\n`, { mode: 0o600 });
    args.push('--admin-password-file', passwordFile);
  }
  /* E.g. "--cpu-prof --cpu-prof-dir=/tmp/p" to profile the agent (NODE_OPTIONS refuses those). */
  const nodeFlags = process.env.SLUICE_BENCH_AGENT_NODE_FLAGS?.split(' ').filter(Boolean) ?? [];
  const child = startIn(namespace, process.execPath, [...nodeFlags, ...args]);
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const deadline = Date.now() + 30_000;
  const handle: AgentHandle = {
    namespace,
    interfaces,
    child,
    pid: child.pid!,
    configFile,
    socket,
    tokenFile,
    client: () => createSocketClient({ socketPath: socket, token: readFileSync(tokenFile, 'utf8').trim(), timeoutMs: 30_000 }),
    reload(next) {
      writeFileSync(configFile, JSON.stringify(next));
      child.kill('SIGHUP');
    },
    log: () => output,
  };
  while (!existsSync(readyFile)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stopAgent(handle);
      throw new Error(`agent in ${namespace} did not start:\n${output}`);
    }
    await sleep(20);
  }
  return handle;
}

/** keepProgram: leave the program attached, as an agent that is restarted leaves it (with keepPinsOnExit: the next agent takes it over). */
export async function stopAgent(agent: AgentHandle | undefined, options: { keepProgram?: boolean } = {}): Promise<void> {
  if (!agent) return;
  await stopChild(agent.child, 5_000);
  /* The console password was only for this agent's first start. */
  rmSync(join(agent.socket, '..', 'admin.password'), { force: true });
  if (options.keepProgram) return;
  /* An agent that died early leaves its program attached: take it off our own interfaces. */
  for (const ifname of agent.interfaces) await runCommand('ip', ['-n', agent.namespace, 'link', 'set', 'dev', ifname, 'xdp', 'off'], 10_000);
}
