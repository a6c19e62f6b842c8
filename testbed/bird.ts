// BIRD 2 daemons of a test network: each runs in the foreground (-f) inside
// its namespace, with its config, control socket, pid file and log in the
// network's state directory (never /etc or /run/bird), so a test's router
// and nodes never meet the host's or another test's. Stopped by pid, checked
// against the command line first so a recycled pid is never signalled.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isOurProcess, readPid } from './daemon-pid.ts';
import { spawnDaemon } from './daemon-spawn.ts';
import { run } from './netns.ts';

export interface BirdDaemon {
  name: string;
  namespace: string;
  config: string;
  socket: string;
  pidFile: string;
  logFile: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Where the daemons of a network keep their files: <stateDir>/bird. */
export const birdDir = (stateDir: string) => join(stateDir, 'bird');

export function birdFiles(stateDir: string, name: string) {
  const dir = birdDir(stateDir);
  return { config: join(dir, `${name}.conf`), socket: join(dir, `${name}.ctl`), pidFile: join(dir, `${name}.pid`), logFile: join(dir, `${name}.log`) };
}

/** True if `pid` is a BIRD started with this config file (a recycled pid is never ours). */
export const isOurBird = (pid: number, config: string): boolean => isOurProcess(pid, 'bird', config);

/** Runs one birdc command on a daemon's socket (a unix socket: reachable from any namespace). */
export async function birdc(socket: string, ...command: string[]): Promise<string> {
  const result = await run('birdc', ['-s', socket, ...command], { timeoutMs: 10_000 });
  if (result.code !== 0) throw new Error(`birdc -s ${socket} ${command.join(' ')} failed (exit ${result.code}): ${result.stderr || result.stdout}`);
  return result.stdout;
}

/** Writes the config, starts BIRD in `namespace` and waits until its control socket answers. */
/** nice: the daemon's niceness (via nice(1), which execs it: the pid file still names BIRD). */
export async function startBird(options: {
  stateDir: string;
  name: string;
  namespace: string;
  config: string;
  readyTimeoutMs?: number;
  nice?: number;
}): Promise<BirdDaemon> {
  const files = birdFiles(options.stateDir, options.name);
  mkdirSync(birdDir(options.stateDir), { recursive: true });
  for (const f of [files.socket, files.pidFile]) rmSync(f, { force: true });
  writeFileSync(files.config, options.config);
  const args = ['-f', '-c', files.config, '-s', files.socket, '-P', files.pidFile];
  return spawnDaemon({
    what: `BIRD ${options.name}`,
    namespace: options.namespace,
    command: options.nice === undefined ? 'bird' : 'nice',
    args: options.nice === undefined ? args : ['-n', String(options.nice), 'bird', ...args],
    logFile: files.logFile,
    ready: async () =>
      existsSync(files.socket) && (await run('birdc', ['-s', files.socket, 'show', 'status'])).stdout.includes('Daemon is up and running')
        ? { name: options.name, namespace: options.namespace, ...files }
        : undefined,
    notReady: 'its socket never answered',
    readyTimeoutMs: options.readyTimeoutMs,
  });
}

/** Stops one daemon by its pid file: SIGTERM, SIGKILL after the grace period. Never throws. */
export async function stopBird(stateDir: string, name: string, graceMs = 3_000): Promise<void> {
  const files = birdFiles(stateDir, name);
  const pid = readPid(files.pidFile);
  const signal = (sig: NodeJS.Signals) => {
    try {
      if (pid) process.kill(pid, sig);
    } catch {
      // gone already
    }
  };
  if (pid && isOurBird(pid, files.config)) {
    signal('SIGTERM');
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && isOurBird(pid, files.config)) await sleep(25);
    if (isOurBird(pid, files.config)) signal('SIGKILL');
  }
  rmSync(files.pidFile, { force: true });
}

/** Stops every daemon with a pid file under <stateDir>/bird. */
export async function stopBirds(stateDir: string): Promise<void> {
  let names: string[] = [];
  try {
    names = readdirSync(birdDir(stateDir))
      .filter((f) => f.endsWith('.pid'))
      .map((f) => f.slice(0, -'.pid'.length));
  } catch {
    // nothing was started
  }
  await Promise.all(names.map((name) => stopBird(stateDir, name)));
}
