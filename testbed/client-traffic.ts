/*
 * Real traffic from a test network's client namespace: thin wrappers around
 * testbed/client.mjs (http, udp, hold) and line-probe.mjs, each bounded in
 * count and time, returning the tool's JSON report. Shared by the e2e and
 * console suites, which differ only in the client namespace they send from.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execIn, spawnIn } from './netns.ts';
import { waitForReadyFile } from './ready-file.ts';

/* Not from test-network.ts: the console suite loads this too and needs none of the topology code. */
const CLIENT = fileURLToPath(new URL('client.mjs', import.meta.url));
const LINE_PROBE = fileURLToPath(new URL('line-probe.mjs', import.meta.url));
/* Bulk runs of a few thousand requests take seconds; this only catches a hang. */
const BULK_TIMEOUT_MS = 60_000;
const HOLD_READY_TIMEOUT_MS = 10_000;
/* Replies come every intervalMs (100-200 ms here); this only catches a stalled connection. */
const HOLD_PROGRESS_TIMEOUT_MS = 10_000;
/* The hold client's --progress line after each reply. */
const PROGRESS_LINE = /^received (\d+)$/;

export type Counts = Record<string, number>;

export interface BulkReport {
  ok: boolean;
  succeeded: number;
  failed: number;
  byBackend: Counts;
  failures: Counts;
  byClient?: Counts;
  /** Over the requests that completed (null when none did); HTTP mode. */
  latencyMs?: { min: number | null; p50: number | null; p99: number | null; max: number | null; mean: number | null };
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

/** Where the traffic comes from: a testbed topology's `client` (only its namespace is used). */
export interface ClientHost {
  namespace: string;
}

const hostInUrl = (host: string) => (host.includes(':') ? `[${host}]` : host);

async function runInClient(client: ClientHost, script: string, args: string[]): Promise<BulkReport> {
  const result = await execIn(client.namespace, process.execPath, [script, ...args, '--timeout-ms', String(BULK_TIMEOUT_MS)], {
    timeoutMs: BULK_TIMEOUT_MS + 10_000,
  });
  if (result.code !== 0) throw new Error(`${script} ${args.join(' ')} exited ${result.code}: ${result.stderr}${result.stdout}`);
  return JSON.parse(result.stdout) as BulkReport;
}

export interface BulkOptions {
  count: number;
  concurrency?: number;
  source?: string;
  /** Per request (the client's default: 5 s for http, 1 s for udp). */
  requestTimeoutMs?: number;
}

const bulkArgs = (options: BulkOptions) => [
  '--count',
  String(options.count),
  '--concurrency',
  String(options.concurrency ?? 1),
  ...(options.source ? ['--source', options.source] : []),
  ...(options.requestTimeoutMs ? ['--request-timeout-ms', String(options.requestTimeoutMs)] : []),
];

/** HTTP GETs to host:port, each on a new TCP connection. */
export function http(client: ClientHost, host: string, port: number, options: BulkOptions): Promise<BulkReport> {
  return runInClient(client, CLIENT, ['http', '--url', `http://${hostInUrl(host)}:${port}/`, ...bulkArgs(options)]);
}

/** UDP request/replies; with newSocket each from a new source port (a new flow), else all on one socket. */
export function udp(client: ClientHost, host: string, port: number, options: BulkOptions & { newSocket: boolean }): Promise<BulkReport> {
  const socket = options.newSocket ? ['--new-socket'] : [];
  return runInClient(client, CLIENT, ['udp', '--host', host, '--port', String(port), ...socket, ...bulkArgs(options)]);
}

/** Short line-protocol connections (greeting + one echo) to host:port, counted by the backend that greeted. */
export function lineProbe(client: ClientHost, host: string, port: number, options: BulkOptions): Promise<BulkReport> {
  return runInClient(client, LINE_PROBE, ['--host', host, '--port', String(port), ...bulkArgs(options)]);
}

export interface Hold {
  /** The backend that greeted the connection. */
  backend: string;
  alive(): boolean;
  /** Replies received so far. */
  received(): number;
  /**
   * Resolves once `count` more replies have arrived (from now): the connection
   * made progress. Rejects if the client exits or timeoutMs passes first.
   */
  exchanged(count: number, timeoutMs?: number): Promise<void>;
  /** The client's report once it ends by itself (its connection broke or its time ran out); rejects after timeoutMs, leaving it running. */
  ended(timeoutMs?: number): Promise<HoldReport>;
  /** Ends the connection (SIGTERM) and returns the client's final report. */
  stop(): Promise<HoldReport>;
}

export interface HoldOptions {
  seconds: number;
  intervalMs?: number;
  source?: string;
  /** Bind this source port (a known 5-tuple); the kernel picks one otherwise. */
  sourcePort?: number;
}

/**
 * One long-lived TCP connection to a line server, sending a line every
 * intervalMs and checking each reply comes from the same backend. Resolves
 * once the backend has greeted it.
 */
export async function hold(client: ClientHost, host: string, port: number, options: HoldOptions): Promise<Hold> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-hold-'));
  const readyFile = join(dir, 'ready');
  const child = spawnIn(
    client.namespace,
    process.execPath,
    [
      CLIENT,
      'hold',
      '--host',
      host,
      '--port',
      String(port),
      '--seconds',
      String(options.seconds),
      '--interval-ms',
      String(options.intervalMs ?? 100),
      '--ready-file',
      readyFile,
      '--progress',
      ...(options.source ? ['--source', options.source] : []),
      ...(options.sourcePort ? ['--source-port', String(options.sourcePort)] : []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  let received = 0;
  const progress = new EventEmitter();
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  /* Progress lines count replies; anything else on stderr is kept for error messages. */
  let partial = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      const match = PROGRESS_LINE.exec(line);
      if (!match) {
        stderr += `${line}\n`;
        continue;
      }
      received = Number(match[1]);
      progress.emit('received');
    }
  });
  /* 'close', not 'exit': by then the report and every progress line have been read. */
  let closed = false;
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  child.once('close', () => ((closed = true), progress.emit('closed')));
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

  const greeted = await waitForReadyFile(readyFile, { alive: running, timeoutMs: HOLD_READY_TIMEOUT_MS });
  if (!greeted) {
    if (running()) child.kill('SIGTERM');
    const early = await report().catch((error: Error) => error.message);
    throw new Error(`hold to ${host}:${port} never got a greeting: ${JSON.stringify(early)}`);
  }
  /* The ready file holds the greeting backend's name. */
  const backend = readFileSync(readyFile, 'utf8').trim();
  const exchanged = (count: number, timeoutMs = HOLD_PROGRESS_TIMEOUT_MS) => {
    const target = received + count;
    return new Promise<void>((resolve, reject) => {
      const done = (error?: Error) => {
        clearTimeout(timer);
        progress.off('received', check).off('closed', onExit);
        if (error) reject(error);
        else resolve();
      };
      const check = () => received >= target && done();
      const onExit = () => done(new Error(`hold to ${host}:${port} (${backend}) ended after ${received} replies, waiting for ${target}: ${stderr}${stdout}`));
      const timer = setTimeout(
        () => done(new Error(`hold to ${host}:${port} (${backend}): ${received} replies, not ${target}, within ${timeoutMs} ms`)),
        timeoutMs,
      );
      progress.on('received', check).on('closed', onExit);
      if (received >= target) done();
      else if (closed) onExit();
    });
  };
  return {
    backend,
    alive: running,
    received: () => received,
    exchanged,
    ended: (timeoutMs = HOLD_PROGRESS_TIMEOUT_MS) =>
      new Promise<HoldReport>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`hold to ${host}:${port} (${backend}) still running after ${timeoutMs} ms (${received} replies)`)),
          timeoutMs,
        );
        report()
          .then(resolve, reject)
          .finally(() => clearTimeout(timer));
      }),
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
