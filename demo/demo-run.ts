/*
 * What the several-node and pair demos share: a console per agent (`next
 * start` against its socket), and the life cycle: run until done, Ctrl-C
 * (SIGINT/SIGTERM) or a failure, and tear down exactly once in every case.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentProcess, type AgentNetwork } from '@sluice/testbed/agent-process';
import { REPO_ROOT } from '@sluice/testbed/test-network';

export const step = (message: string) => process.stderr.write(`==> ${message}\n`);
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The production console for one agent on 127.0.0.1:port; its log and pid beside the agent's. */
export function startConsole(network: AgentNetwork, port: number): ChildProcess {
  const log = join(network.runDir, 'console.log');
  const out = openSync(log, 'a');
  const child = spawn(
    process.execPath,
    [join(REPO_ROOT, 'apps/web/node_modules/next/dist/bin/next'), 'start', join(REPO_ROOT, 'apps/web'), '--hostname', '127.0.0.1', '--port', String(port)],
    { env: { ...process.env, SLUICE_AGENT_SOCKET: AgentProcess.paths(network).socket, NEXT_TELEMETRY_DISABLED: '1' }, stdio: ['ignore', out, out] },
  );
  closeSync(out);
  writeFileSync(join(network.runDir, 'console.pid'), `${child.pid}\n`);
  return child;
}

/**
 * Runs main(stopping) and tears down once: after main returns, on SIGINT
 * (exit 130) or SIGTERM (143), or after a failure (exit 1). main polls
 * stopping() to end its loop early.
 */
export function runDemo(main: (stopping: () => boolean) => Promise<void>, tearDown: () => Promise<void>): void {
  let stopping = false;
  const stopOnce = async (code: number | null, error?: Error) => {
    if (stopping) return;
    stopping = true;
    if (error) process.stderr.write(`demo: ${error.message}\n`);
    await tearDown();
    if (code !== null) process.exit(code);
  };
  process.on('SIGINT', () => void stopOnce(130));
  process.on('SIGTERM', () => void stopOnce(143));
  main(() => stopping).then(
    () => stopOnce(null),
    (error: Error) => stopOnce(1, error),
  );
}
