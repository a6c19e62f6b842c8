// Starting a test daemon (backend server, BIRD, keepalived) the same way
// every time: detached inside its namespace, its output appended to its own
// log, ready only when the daemon's own sign says so. A daemon that exits
// or never gets ready is reported with its command line and the end of its
// log; one that hangs is killed (it is our own child, by PID).
import { closeSync, openSync, readFileSync } from 'node:fs';
import { formatCommand, spawnIn } from './netns.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The last `lines` lines of a log, or "(no log)". */
export function tailLog(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export interface DaemonLaunch<T> {
  /** What the error calls it, e.g. "BIRD r1". */
  what: string;
  namespace: string;
  command: string;
  args: readonly string[];
  logFile: string;
  /** Its working directory (etcd puts a unix socket named HOST:PORT there); unset: the test's. */
  cwd?: string;
  /** The daemon's own sign of being ready: a value when it is, undefined while it is not yet. */
  ready: () => Promise<T | undefined> | T | undefined;
  /** What "not ready in time" means for this daemon, e.g. "its socket never answered". */
  notReady: string;
  readyTimeoutMs?: number;
  pollMs?: number;
}

/** Starts the daemon and resolves with what `ready` returned, or throws why it did not start. */
export async function spawnDaemon<T>(launch: DaemonLaunch<T>): Promise<T> {
  const logFd = openSync(launch.logFile, 'a');
  const child = spawnIn(launch.namespace, launch.command, launch.args, {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    ...(launch.cwd ? { cwd: launch.cwd } : {}),
  });
  closeSync(logFd);
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = signal ? `killed by ${signal}` : `exit code ${code}`));
  child.once('error', (err) => (exited = err.message));
  const deadline = Date.now() + (launch.readyTimeoutMs ?? 10_000);
  try {
    while (Date.now() < deadline && !exited) {
      const value = await launch.ready();
      if (value !== undefined) {
        child.unref(); // the caller (a test, the CLI) may exit while the daemon runs on
        return value;
      }
      await sleep(launch.pollMs ?? 50);
    }
  } finally {
    child.removeAllListeners('exit');
    child.removeAllListeners('error');
  }
  if (!exited && child.pid) process.kill(child.pid, 'SIGKILL'); // our own child, not ready in time
  const described = formatCommand('ip', ['netns', 'exec', launch.namespace, launch.command, ...launch.args]);
  throw new Error(`${launch.what} did not start (${exited ?? launch.notReady}): ${described}\n${tailLog(launch.logFile)}`);
}
