/*
 * The test's side of support/harness.ts: starts it inside the LB namespace,
 * sends it commands, and stops it (which detaches XDP and unpins the maps).
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { spawnIn } from '@sluice/testbed/topology';
import type { DataplaneConfig } from './services.ts';
import { type Network, REPO_ROOT } from './network.ts';

const HARNESS = join(REPO_ROOT, 'tests/e2e/support/harness.ts');
/* Loading the object and attaching to four interfaces takes well under this. */
const START_TIMEOUT_MS = 30_000;
const COMMAND_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000;

interface Reply {
  ok?: boolean;
  ready?: boolean;
  error?: string;
  report?: unknown;
  active?: ActiveFlows;
  counters?: Record<string, number>;
}

export interface HarnessOptions {
  /** max_entries of the flow table and of the half-open table (the program's defaults when unset). */
  flowTableSize?: number;
  halfOpenTableSize?: number;
}

/** Open flows per backend endpoint, per service name ("198.18.100.1:9000/tcp"). */
export type ActiveFlows = Record<string, Record<string, number>>;

export class Harness {
  private stderr = '';
  private readonly replies: Reply[] = [];
  private waiting: ((reply: Reply | undefined) => void) | undefined;
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr = (this.stderr + chunk).slice(-20_000)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let reply: Reply;
      try {
        reply = JSON.parse(line) as Reply;
      } catch {
        this.stderr += `(stdout) ${line}\n`; // not an answer: keep it for the failure message
        return;
      }
      if (this.waiting) this.waiting(reply);
      else this.replies.push(reply);
    });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    void this.exited.then(() => this.waiting?.(undefined));
  }

  static async start(network: Network, options: HarnessOptions = {}): Promise<Harness> {
    const sizes = [
      ...(options.flowTableSize ? ['--flow-table-size', String(options.flowTableSize)] : []),
      ...(options.halfOpenTableSize ? ['--half-open-table-size', String(options.halfOpenTableSize)] : []),
    ];
    const child = spawnIn(
      network.topology.lb.namespace,
      process.execPath,
      ['--import', 'tsx', HARNESS, '--interfaces', network.interfaces.join(','), '--pin-dir', network.pinDir, ...sizes],
      { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const harness = new Harness(child);
    const hello = await harness.next(START_TIMEOUT_MS);
    if (!hello?.ready) {
      child.kill('SIGKILL');
      throw new Error(`harness did not start: ${hello?.error ?? 'no answer'}\n${harness.stderr}`);
    }
    return harness;
  }

  /** Applies a configuration; `down` lists backend endpoints the health view reports down. */
  async apply(config: DataplaneConfig, down: string[] = []): Promise<unknown> {
    const reply = await this.send({ apply: config, down });
    return reply.report;
  }

  /** The data plane's active-flow counts, the numbers least-connections compares. */
  async active(): Promise<ActiveFlows> {
    return (await this.send({ active: true })).active ?? {};
  }

  /** The data plane's global counters by name (flow_new, flow_half_open, ...), summed over CPUs. */
  async counters(): Promise<Record<string, number>> {
    return (await this.send({ counters: true })).counters ?? {};
  }

  /** Stops the agent (detach + unpin) and waits for the process to end. Never throws. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    try {
      await this.send({ stop: true });
    } catch {
      // it may already be going; the exit wait below decides
    }
    const ended = await Promise.race([this.exited.then(() => true), sleep(STOP_TIMEOUT_MS).then(() => false)]);
    if (!ended) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  private async send(command: object): Promise<Reply> {
    this.child.stdin!.write(`${JSON.stringify(command)}\n`);
    const reply = await this.next(COMMAND_TIMEOUT_MS);
    if (!reply) throw new Error(`harness gave no answer to ${JSON.stringify(command).slice(0, 200)}\n${this.stderr}`);
    if (reply.error) throw new Error(`harness: ${reply.error}`);
    return reply;
  }

  private next(timeoutMs: number): Promise<Reply | undefined> {
    const queued = this.replies.shift();
    if (queued) return Promise.resolve(queued);
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => settle(undefined), timeoutMs);
      const settle = (reply: Reply | undefined) => {
        clearTimeout(timer);
        this.waiting = undefined;
        resolve(reply);
      };
      this.waiting = settle;
    });
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
