/*
 * A console of its own (`next start`, the suite's production build) for a
 * lab's agent: the node lab's and the pair lab's. Its own process group,
 * which the lab's teardown ends by the pid it recorded (next start may fork a
 * worker); ready once its login page answers.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { REPO_ROOT } from './lab-settings.ts';

const NEXT = `${REPO_ROOT}/apps/web/node_modules/next/dist/bin/next`;
const CONSOLE_START_TIMEOUT_MS = 60_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startExtraConsole(options: { socket: string; port: number; logFile: string; pidFile: string }): Promise<void> {
  const url = `http://127.0.0.1:${options.port}`;
  const out = openSync(options.logFile, 'a');
  const child = spawn(process.execPath, [NEXT, 'start', 'apps/web', '--hostname', '127.0.0.1', '--port', String(options.port)], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, SLUICE_AGENT_SOCKET: options.socket, NEXT_TELEMETRY_DISABLED: '1' },
  });
  closeSync(out);
  child.unref();
  writeFileSync(options.pidFile, `${child.pid}\n`);
  const deadline = Date.now() + CONSOLE_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    const reply = await fetch(`${url}/login`).catch(() => null);
    if (reply?.ok) return;
    await sleep(250);
  }
  throw new Error(`the console did not serve ${url}/login; its log (${options.logFile}):\n${readFileSync(options.logFile, 'utf8').slice(-3000)}`);
}

/** Signals the process (group, when `group`) whose pid a lab wrote to `file`, then forgets it. */
export function signalRecorded(file: string, signal: NodeJS.Signals, group: boolean): void {
  if (!existsSync(file)) return;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (Number.isInteger(pid) && pid > 0) {
    try {
      process.kill(group ? -pid : pid, signal);
    } catch {
      // already gone
    }
  }
  rmSync(file, { force: true });
}
