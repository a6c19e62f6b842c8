/*
 * Commands with a hard deadline: every child the bench starts ends by itself
 * or is killed when its time is up, so no load loop can outlive the bench.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface CommandResult {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
}

export function runCommand(command: string, args: readonly string[], timeoutMs: number, input?: string): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    // Both are pipes (stdio above), never null.
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => {
      stderr += String(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code, signal, timedOut });
    });
    if (input !== undefined) {
      child.stdin!.on('error', () => {}); /* a child that exits early must not crash the bench */
      child.stdin!.end(input);
    }
  });
}

/** Like runCommand, but throws with the command and its stderr when it fails. */
export async function mustRun(command: string, args: readonly string[], timeoutMs = 30_000, input?: string): Promise<CommandResult> {
  const result = await runCommand(command, args, timeoutMs, input);
  if (result.code !== 0) {
    const why = result.timedOut ? `timed out after ${timeoutMs} ms` : `exit ${result.code ?? result.signal}`;
    throw new Error(`${command} ${args.join(' ')}: ${why}\n${result.stderr.trim() || result.stdout.trim()}`);
  }
  return result;
}

/** ip netns exec NS command...: a command inside one of our namespaces. */
export function inNamespace(ns: string, command: string, args: readonly string[], timeoutMs: number, input?: string): Promise<CommandResult> {
  return runCommand('ip', ['netns', 'exec', ns, command, ...args], timeoutMs, input);
}

export function mustRunIn(ns: string, command: string, args: readonly string[], timeoutMs = 30_000, input?: string): Promise<CommandResult> {
  return mustRun('ip', ['netns', 'exec', ns, command, ...args], timeoutMs, input);
}

/** A long-running child in a namespace (agent, haproxy); the caller stops it. */
export function startIn(ns: string, command: string, args: readonly string[]): ChildProcess {
  return spawn('ip', ['netns', 'exec', ns, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** SIGTERM, then SIGKILL after graceMs if it is still there. */
export async function stopChild(child: ChildProcess, graceMs = 3_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
