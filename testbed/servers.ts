// Starts, checks and stops the backend servers. Each runs detached inside
// its backend namespace; its pid file and log live in the state directory.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isOurProcess, readPid } from './daemon-pid.js';
import { spawnDaemon } from './daemon-spawn.js';
import type { BackendPlan } from './addresses.js';

export const SERVER_SCRIPT = fileURLToPath(new URL('./backend-server.mjs', import.meta.url));
export const STATE_ROOT = '/run/sluice-testbed';

export function stateDir(prefix: string, root = STATE_ROOT): string {
  return join(root, prefix);
}

export const pidFile = (dir: string, name: string) => join(dir, `${name}.pid`);
export const logFile = (dir: string, name: string) => join(dir, `${name}.log`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * True if `pid` is alive AND is our server for this pid file: the command
 * line must name the pid file, so a recycled pid never gets signalled.
 */
export const isOurServer = (pid: number, pidPath: string): boolean => isOurProcess(pid, 'backend-server.mjs', pidPath);

export interface ServerStatus {
  name: string;
  pid: number | null;
  alive: boolean;
  pidFile: string;
  logFile: string;
}

export function serverStatus(dir: string, name: string): ServerStatus {
  const pidPath = pidFile(dir, name);
  const pid = readPid(pidPath) ?? null;
  return { name, pid, alive: pid !== null && isOurServer(pid, pidPath), pidFile: pidPath, logFile: logFile(dir, name) };
}

/** Starts one backend server and waits until it has bound all its ports. */
export async function startServer(
  dir: string,
  backend: Pick<BackendPlan, 'name' | 'namespace' | 'ports'>,
  options: { script?: string; readyTimeoutMs?: number } = {},
): Promise<ServerStatus> {
  mkdirSync(dir, { recursive: true });
  const pidPath = pidFile(dir, backend.name);
  const logPath = logFile(dir, backend.name);
  rmSync(pidPath, { force: true });
  const args = [
    options.script ?? SERVER_SCRIPT,
    '--name',
    backend.name,
    '--http-port',
    String(backend.ports.http),
    '--tcp-port',
    String(backend.ports.tcp),
    '--udp-port',
    String(backend.ports.udp),
    '--pid-file',
    pidPath,
  ];
  return spawnDaemon({
    what: `backend server ${backend.name}`,
    namespace: backend.namespace,
    command: process.execPath,
    args,
    logFile: logPath,
    ready: () => (existsSync(pidPath) ? serverStatus(dir, backend.name) : undefined),
    notReady: 'timed out waiting for its pid file',
    readyTimeoutMs: options.readyTimeoutMs,
    pollMs: 20,
  });
}

/** A server on each backend, one after the other (each waits until it listens). */
export async function startServers(
  dir: string,
  backends: Pick<BackendPlan, 'name' | 'namespace' | 'ports'>[],
  options: { script?: string } = {},
): Promise<ServerStatus[]> {
  const servers: ServerStatus[] = [];
  for (const b of backends) servers.push(await startServer(dir, b, options));
  return servers;
}

/** Stops a server by its pid file: SIGTERM, then SIGKILL after a grace period. Never throws. */
export async function stopServer(dir: string, name: string, graceMs = 3_000): Promise<void> {
  const pidPath = pidFile(dir, name);
  const pid = readPid(pidPath);
  if (pid && isOurServer(pid, pidPath)) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone already
    }
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && isOurServer(pid, pidPath)) await sleep(25);
    if (isOurServer(pid, pidPath)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }
  rmSync(pidPath, { force: true });
}

/** Stops every server with a pid file in `dir` (none if there is no such directory). */
export async function stopServers(dir: string): Promise<void> {
  let pidFiles: string[] = [];
  try {
    pidFiles = readdirSync(dir).filter((f) => f.endsWith('.pid'));
  } catch {
    // no state directory: nothing was started
  }
  await Promise.all(pidFiles.map((f) => stopServer(dir, f.slice(0, -'.pid'.length))));
}
