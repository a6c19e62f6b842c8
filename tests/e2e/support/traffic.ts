/*
 * Real traffic from the client namespace: thin wrappers around
 * testbed/client.mjs (http, udp, hold) and support/line-probe.mjs, each
 * bounded in count and time, returning the tool's JSON report.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execIn, spawnIn, type Topology } from '../../../testbed/topology.ts';
import { REPO_ROOT } from './network.ts';

const CLIENT = join(REPO_ROOT, 'testbed/client.mjs');
const LINE_PROBE = join(REPO_ROOT, 'tests/e2e/support/line-probe.mjs');
/* Bulk runs of a few thousand requests take seconds; this only catches a hang. */
const BULK_TIMEOUT_MS = 60_000;
const HOLD_READY_TIMEOUT_MS = 10_000;

export type Counts = Record<string, number>;

export interface BulkReport {
  ok: boolean;
  succeeded: number;
  failed: number;
  byBackend: Counts;
  failures: Counts;
  byClient?: Counts;
}

export interface HoldReport {
  ok: boolean;
  backend: string | null;
  sent: number;
  received: number;
  errors: number;
  errorSamples: string[];
  broken: boolean;
  brokenReason: string | null;
  stoppedBy: string | null;
}

const hostInUrl = (host: string) => (host.includes(':') ? `[${host}]` : host);

async function runInClient(topology: Topology, script: string, args: string[]): Promise<BulkReport> {
  const result = await execIn(topology.client.namespace, process.execPath, [script, ...args, '--timeout-ms', String(BULK_TIMEOUT_MS)], {
    timeoutMs: BULK_TIMEOUT_MS + 10_000,
  });
  if (result.code !== 0) throw new Error(`${script} ${args.join(' ')} exited ${result.code}: ${result.stderr}${result.stdout}`);
  return JSON.parse(result.stdout) as BulkReport;
}

export interface BulkOptions {
  count: number;
  concurrency?: number;
  source?: string;
}

const bulkArgs = (options: BulkOptions) => [
  '--count', String(options.count),
  '--concurrency', String(options.concurrency ?? 1),
  ...(options.source ? ['--source', options.source] : []),
];

/** HTTP GETs to host:port, each on a new TCP connection. */
export function http(topology: Topology, host: string, port: number, options: BulkOptions): Promise<BulkReport> {
  return runInClient(topology, CLIENT, ['http', '--url', `http://${hostInUrl(host)}:${port}/`, ...bulkArgs(options)]);
}

/** UDP request/replies; with newSocket each from a new source port (a new flow), else all on one socket. */
export function udp(topology: Topology, host: string, port: number, options: BulkOptions & { newSocket: boolean }): Promise<BulkReport> {
  const socket = options.newSocket ? ['--new-socket'] : [];
  return runInClient(topology, CLIENT, ['udp', '--host', host, '--port', String(port), ...socket, ...bulkArgs(options)]);
}

/** Short line-protocol connections (greeting + one echo) to host:port. */
export function lineProbe(topology: Topology, host: string, port: number, options: BulkOptions): Promise<BulkReport> {
  return runInClient(topology, LINE_PROBE, ['--host', host, '--port', String(port), ...bulkArgs(options)]);
}

export interface Hold {
  /** The backend that greeted the connection. */
  backend: string;
  alive(): boolean;
  /** Ends the connection (SIGTERM) and returns the client's final report. */
  stop(): Promise<HoldReport>;
}

/**
 * One long-lived TCP connection to a line server, sending a line every
 * intervalMs and checking each reply comes from the same backend. Resolves
 * once the backend has greeted it.
 */
export async function hold(
  topology: Topology,
  host: string,
  port: number,
  options: { seconds: number; intervalMs?: number },
): Promise<Hold> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-e2e-hold-'));
  const readyFile = join(dir, 'ready');
  const child = spawnIn(
    topology.client.namespace,
    process.execPath,
    [CLIENT, 'hold', '--host', host, '--port', String(port), '--seconds', String(options.seconds),
      '--interval-ms', String(options.intervalMs ?? 100), '--ready-file', readyFile],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running = () => child.exitCode === null && child.signalCode === null;
  const report = async (): Promise<HoldReport> => {
    await exited;
    rmSync(dir, { recursive: true, force: true });
    try {
      return JSON.parse(stdout) as HoldReport;
    } catch {
      throw new Error(`hold to ${host}:${port} gave no report: ${stderr}${stdout}`);
    }
  };

  const deadline = Date.now() + HOLD_READY_TIMEOUT_MS;
  while (!existsSync(readyFile) && running() && Date.now() < deadline) await sleep(20);
  if (!existsSync(readyFile)) {
    if (running()) child.kill('SIGTERM');
    const early = await report().catch((error: Error) => error.message);
    throw new Error(`hold to ${host}:${port} never got a greeting: ${JSON.stringify(early)}`);
  }
  const backend = readFileSync(readyFile, 'utf8').trim();
  return {
    backend,
    alive: running,
    stop: async () => {
      if (running()) child.kill('SIGTERM');
      return report();
    },
  };
}

/** Stops every hold, whatever happened (for finally blocks); a hold that gave no report yields undefined. */
export function stopAll(holds: Hold[]): Promise<(HoldReport | undefined)[]> {
  return Promise.all(holds.map((h) => h.stop().catch(() => undefined)));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
