/* Starting and stopping sluice-host.ts in the LB namespace from the bench. */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { runCommand, sleep, startIn, stopChild } from '../processes.js';
import { BENCH_RUN_DIR } from '../sluice-agent.js';

const HOST = fileURLToPath(new URL('./sluice-host.ts', import.meta.url));

export interface SluiceDataplane {
  child: ChildProcess;
  output: () => string;
  namespace: string;
  interfaces: string[];
}

export async function startSluice(namespace: string, interfaces: string[], config: unknown, tunnelSource4?: string): Promise<SluiceDataplane> {
  mkdirSync(BENCH_RUN_DIR, { recursive: true });
  const readyFile = join(BENCH_RUN_DIR, `sluice-host-${namespace}.ready`);
  rmSync(readyFile, { force: true });
  const child = startIn(namespace, process.execPath, ['--import', 'tsx', HOST, JSON.stringify({ interfaces, config, readyFile, tunnelSource4 })]);
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const handle = { child, output: () => output, namespace, interfaces };
  const deadline = Date.now() + 30_000;
  while (!existsSync(readyFile)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stopSluice(handle);
      throw new Error(`the Sluice data plane did not start in ${namespace}:\n${output}`);
    }
    await sleep(20);
  }
  return handle;
}

/** Stops the host; returns its global counters (or {} if it printed none). */
export async function stopSluice(handle: SluiceDataplane | undefined): Promise<Record<string, number>> {
  if (!handle) return {};
  await stopChild(handle.child, 5_000);
  for (const ifname of handle.interfaces) await runCommand('ip', ['-n', handle.namespace, 'link', 'set', 'dev', ifname, 'xdp', 'off'], 10_000);
  const line = handle
    .output()
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  try {
    return line ? (JSON.parse(line) as Record<string, number>) : {};
  } catch {
    return {};
  }
}
