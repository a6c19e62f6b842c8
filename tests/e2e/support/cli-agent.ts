/*
 * The real `sluice agent` command, run inside the LB namespace with a
 * configuration file: start, signal, read its log, stop. Stopping always
 * leaves the interfaces detached, even if the agent had to be killed.
 */
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execIn, spawnIn } from '@sluice/testbed/topology';
import { waitForReadyFile } from '@sluice/testbed/ready-file';
import { type Network, REPO_ROOT } from './network.ts';

const SLUICE = join(REPO_ROOT, 'apps/agent/bin/sluice.mjs');
const START_TIMEOUT_MS = 30_000;
const LOG_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 10_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A fresh store, socket and token file, so the agent never meets another agent's state. */
function privatePaths(): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-e2e-agent-'));
  return ['--data-dir', join(dir, 'data'), '--socket', join(dir, 'agent.sock'), '--token-file', join(dir, 'admin.token')];
}

export class CliAgent {
  private log = '';
  /* 'output' after each chunk of log, 'exit' when the agent ends: what waitForLog waits on. */
  private readonly logged = new EventEmitter();
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    private readonly network: Network,
    private readonly child: ChildProcess,
  ) {
    const append = (chunk: string) => {
      this.log += chunk;
      this.logged.emit('output');
    };
    child.stderr!.setEncoding('utf8').on('data', append);
    child.stdout!.setEncoding('utf8').on('data', append);
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    child.once('exit', () => this.logged.emit('exit'));
  }

  /** Starts `sluice agent --config FILE --detach-on-exit` and waits for its ready file. */
  static async start(network: Network, configFile: string, readyFile: string): Promise<CliAgent> {
    const child = spawnIn(
      network.topology.lb.namespace,
      process.execPath,
      [
        SLUICE,
        'agent',
        '--interfaces',
        network.interfaces.join(','),
        '--config',
        configFile,
        '--pin-dir',
        network.pinDir,
        '--ready-file',
        readyFile,
        '--detach-on-exit',
        ...privatePaths(),
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const agent = new CliAgent(network, child);
    const ready = await waitForReadyFile(readyFile, { alive: () => agent.running, timeoutMs: START_TIMEOUT_MS });
    if (!ready) {
      await agent.stop();
      throw new Error(`sluice agent did not become ready:\n${agent.log}`);
    }
    return agent;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get output(): string {
    return this.log;
  }

  /** How many log lines match so far; pass it to waitForLog to wait for the next one. */
  count(pattern: RegExp): number {
    return this.log.split('\n').filter((line) => pattern.test(line)).length;
  }

  /** Waits until more than `seen` log lines match `pattern`. */
  async waitForLog(pattern: RegExp, seen: number): Promise<void> {
    if (this.count(pattern) > seen) return;
    await new Promise<void>((resolve, reject) => {
      const done = (error?: Error) => {
        clearTimeout(timer);
        this.logged.off('output', onOutput).off('exit', onEnd);
        if (error) reject(error);
        else resolve();
      };
      const onOutput = () => this.count(pattern) > seen && done();
      const onEnd = () => done(new Error(`no new log line matching ${pattern}:\n${this.log}`));
      const timer = setTimeout(onEnd, LOG_TIMEOUT_MS);
      this.logged.on('output', onOutput).on('exit', onEnd);
      if (!this.running) onEnd();
    });
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** SIGTERM and wait; SIGKILL and an explicit `sluice teardown` if it does not end. Never throws. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) this.child.kill('SIGTERM');
    const ended = await Promise.race([this.exited, sleep(STOP_TIMEOUT_MS).then(() => undefined)]);
    if (ended) return ended;
    this.child.kill('SIGKILL');
    const killed = await this.exited;
    await execIn(this.network.topology.lb.namespace, process.execPath, [
      SLUICE,
      'teardown',
      '--interfaces',
      this.network.interfaces.join(','),
      '--pin-dir',
      this.network.pinDir,
    ]);
    return killed;
  }
}
