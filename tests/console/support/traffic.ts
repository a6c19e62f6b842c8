/*
 * Real traffic from the client namespace, each run bounded in count and
 * time, returning which backend answered how often: the tests' proof that
 * a change made in the UI reached the data plane.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, SERVICES, type ServiceKey, namespace } from './lab-settings.ts';
import { mustRun } from './run-command.ts';

const CLIENT = join(REPO_ROOT, 'testbed/client.mjs');
const LINE_PROBE = join(REPO_ROOT, 'tests/e2e/support/line-probe.mjs');
const RUN_TIMEOUT_MS = 60_000;
const HOLD_READY_TIMEOUT_MS = 10_000;

export type Counts = Record<string, number>;
export interface BulkReport {
  ok: boolean;
  succeeded: number;
  failed: number;
  byBackend: Counts;
  failures: Counts;
}

async function inClient(script: string, args: string[]): Promise<BulkReport> {
  const stdout = await mustRun('ip', ['netns', 'exec', namespace('client'), process.execPath, script, ...args, '--timeout-ms', String(RUN_TIMEOUT_MS)], {
    timeoutMs: RUN_TIMEOUT_MS + 10_000,
  });
  return JSON.parse(stdout) as BulkReport;
}

/** count HTTP GETs to a service, each on a new TCP connection (so each is a new flow). */
export function httpRequests(service: ServiceKey, count: number, options: { concurrency?: number; source?: string } = {}): Promise<BulkReport> {
  const s = SERVICES[service];
  return inClient(CLIENT, [
    'http', '--url', `http://${s.address}:${s.port}/`, '--count', String(count), '--concurrency', String(options.concurrency ?? 3),
    ...(options.source ? ['--source', options.source] : []),
  ]);
}

/** count short line-protocol connections (greeting, one echo), counted by the backend that greeted. */
export function lineConnections(service: ServiceKey, count: number): Promise<BulkReport> {
  const s = SERVICES[service];
  return inClient(LINE_PROBE, ['--host', s.address, '--port', String(s.port), '--count', String(count), '--concurrency', '3']);
}

/** count UDP exchanges, each from a new source port: count new flows that stay in the table for the UDP timeout. */
export function udpFlows(service: ServiceKey, count: number, options: { concurrency?: number; source?: string } = {}): Promise<BulkReport> {
  const s = SERVICES[service];
  return inClient(CLIENT, [
    'udp', '--host', s.address, '--port', String(s.port), '--count', String(count), '--new-socket', '--concurrency', String(options.concurrency ?? 200),
    ...(options.source ? ['--source', options.source] : []),
  ]);
}

export interface HoldReport {
  ok: boolean;
  backend: string | null;
  sent: number;
  received: number;
  errors: number;
  broken: boolean;
  brokenReason: string | null;
}

export interface Hold {
  /** The backend that greeted the connection. */
  backend: string;
  alive(): boolean;
  /** Ends the connection (SIGTERM) and returns the client's report. */
  stop(): Promise<HoldReport>;
}

/** One long-lived TCP connection to a line service, sending a line every 200 ms; resolves once a backend greeted it. */
export async function holdConnection(service: ServiceKey, options: { seconds: number; source?: string }): Promise<Hold> {
  const s = SERVICES[service];
  const dir = mkdtempSync(join(tmpdir(), 'sluice-console-hold-'));
  const readyFile = join(dir, 'ready');
  const child: ChildProcess = spawn(
    'ip',
    ['netns', 'exec', namespace('client'), process.execPath, CLIENT, 'hold', '--host', s.address, '--port', String(s.port), '--seconds', String(options.seconds),
      '--interval-ms', '200', '--ready-file', readyFile, ...(options.source ? ['--source', options.source] : [])],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + HOLD_READY_TIMEOUT_MS;
  while (!existsSync(readyFile) && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (!existsSync(readyFile)) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`the held connection to ${s.address}:${s.port} did not open: ${stdout}`);
  }
  /* The ready file holds the greeting backend's name. */
  const greeted = readFileSync(readyFile, 'utf8').trim();
  return {
    backend: greeted,
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
      return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as HoldReport;
    },
  };
}
