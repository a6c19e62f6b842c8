// Process helpers: run a command (optionally inside a named network
// namespace) and get its output, without ever throwing on a non-zero exit
// unless asked to.
import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number | null; // null when killed by a signal
  signal: NodeJS.Signals | null;
}

export interface ExecOptions {
  timeoutMs?: number; // kill the command after this long (default 30 s)
  input?: string;
}

/** Error thrown by runChecked: names the command and carries its stderr. */
export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly result: ExecResult,
  ) {
    const why = result.signal ? `killed by ${result.signal}` : `exit code ${result.code}`;
    const stderr = result.stderr.trim() || result.stdout.trim() || '(no output)';
    super(`command failed (${why}): ${command}\n${stderr}`);
    this.name = 'CommandError';
  }
}

export function formatCommand(command: string, args: readonly string[]): string {
  return [command, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

export function run(command: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { timeout: options.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      const err = error as (NodeJS.ErrnoException & { code?: number | string; signal?: NodeJS.Signals }) | null;
      if (err && typeof err.code === 'string') {
        // Spawn failure (ENOENT etc.): report it like a failed command.
        resolve({ stdout, stderr: `${stderr}${err.message}`, code: 127, signal: null });
        return;
      }
      resolve({
        stdout,
        stderr,
        code: err ? ((err.code as number | undefined) ?? null) : 0,
        signal: err?.signal ?? null,
      });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Like run, but throws a CommandError naming the command when it fails. */
export async function runChecked(command: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const result = await run(command, args, options);
  if (result.code !== 0) throw new CommandError(formatCommand(command, args), result);
  return result;
}

function nsArgs(ns: string, command: string, args: readonly string[]): string[] {
  return ['netns', 'exec', ns, command, ...args];
}

/** Runs a command inside namespace `ns`; resolves with its output and exit code. */
export function execIn(ns: string, command: string, args: readonly string[] = [], options: ExecOptions = {}): Promise<ExecResult> {
  return run('ip', nsArgs(ns, command, args), options);
}

export function execInChecked(ns: string, command: string, args: readonly string[] = [], options: ExecOptions = {}): Promise<ExecResult> {
  return runChecked('ip', nsArgs(ns, command, args), options);
}

/**
 * Starts a command inside namespace `ns` and returns the child handle.
 * `ip netns exec` execs the command in place, so child.pid is the command's
 * own pid and child.kill() signals it directly.
 */
export function spawnIn(ns: string, command: string, args: readonly string[] = [], options: SpawnOptions = {}): ChildProcess {
  return spawn('ip', nsArgs(ns, command, args), options);
}

export async function listNamespaces(): Promise<string[]> {
  const { stdout } = await runChecked('ip', ['netns', 'list']);
  // Lines look like "sl-lb (id: 3)" or just "sl-lb".
  return stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter(Boolean);
}

export async function namespacePids(ns: string): Promise<number[]> {
  const { stdout, code } = await run('ip', ['netns', 'pids', ns]);
  if (code !== 0) return [];
  return stdout
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Ends every process still inside `namespaces` (an agent, a client left
 * running would keep a namespace and its veths alive after `ip netns del`):
 * SIGTERM, then SIGKILL to those still inside after 2 s. Returns their pids.
 */
export async function killNamespaceProcesses(namespaces: string[]): Promise<number[]> {
  const self = process.pid;
  const pidsNow = async () => (await Promise.all(namespaces.map(namespacePids))).flat().filter((p) => p !== self);
  const pids = await pidsNow();
  const signal = (sig: NodeJS.Signals, targets: number[]) => {
    for (const pid of targets) {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
  };
  if (!pids.length) return [];
  signal('SIGTERM', pids);
  const deadline = Date.now() + 2_000;
  while (Date.now() < deadline && (await pidsNow()).length) await pause(50);
  signal('SIGKILL', await pidsNow()); // only those still inside, never a recycled pid elsewhere
  return pids;
}
