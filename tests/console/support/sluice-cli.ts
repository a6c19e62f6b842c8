/* The real `sluice` CLI against the test agent, as root with the admin token: set-up and resets between specs. */
import { join } from 'node:path';
import { ADMIN_TOKEN_FILE, AGENT_SOCKET, REPO_ROOT } from './lab-settings.ts';
import { mustRun } from './run-command.ts';

const SLUICE = join(REPO_ROOT, 'apps/agent/bin/sluice.mjs');
const CLI_TIMEOUT_MS = 30_000;

export function sluice(args: string[], input?: string): Promise<string> {
  return mustRun(process.execPath, [SLUICE, ...args], {
    timeoutMs: CLI_TIMEOUT_MS,
    input,
    cwd: REPO_ROOT,
    env: { ...process.env, SLUICE_SOCKET: AGENT_SOCKET, SLUICE_TOKEN_FILE: ADMIN_TOKEN_FILE },
  });
}

export async function sluiceJson<T>(args: string[]): Promise<T> {
  return JSON.parse(await sluice([...args, '--json'])) as T;
}
