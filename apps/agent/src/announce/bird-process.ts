/*
 * Runs this node's BIRD as the agent's child, in the foreground (-f), with
 * its config, socket, pid file and log in the agent's run directory. It is
 * started through `setpriv --pdeathsig KILL`, so the kernel kills it the
 * moment the agent dies, even by SIGKILL: a dead agent is a dead node, and
 * the router drops this node's routes when the session closes (at once, the
 * TCP connection ends) instead of sending traffic to a node nobody drives.
 * If BIRD exits on its own it is started again after RESTART_DELAY_MS with
 * the config on disk (which holds the routes last applied).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { log } from '../log.js';
import type { Birdc } from './birdc.js';

const READY_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 3_000;
const RESTART_DELAY_MS = 1_000;

export interface BirdFiles {
  config: string;
  socket: string;
  pidFile: string;
  logFile: string;
}

export function birdFilesIn(runDir: string): BirdFiles {
  return { config: join(runDir, 'bird.conf'), socket: join(runDir, 'bird.ctl'), pidFile: join(runDir, 'bird.pid'), logFile: join(runDir, 'bird.log') };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tail(file: string, lines = 10): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export class BirdProcess {
  #child: ChildProcess | undefined;
  #stopping = false;
  #restartTimer: NodeJS.Timeout | undefined;
  /** When BIRD last (re)started; null while it is not running. */
  #startedAt: number | null = null;
  restarts = 0;

  constructor(
    readonly files: BirdFiles,
    readonly birdc: Birdc,
    readonly birdPath = 'bird',
  ) {}

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.running ? this.#child?.pid : undefined;
  }

  get startedAt(): number | null {
    return this.#startedAt;
  }

  /** Starts BIRD on the config file already written and waits until its socket answers; throws with its log if it does not. */
  async start(): Promise<void> {
    mkdirSync(join(this.files.socket, '..'), { recursive: true });
    rmSync(this.files.socket, { force: true });
    const logFd = openSync(this.files.logFile, 'a');
    const args = ['--pdeathsig', 'KILL', '--', this.birdPath, '-f', '-c', this.files.config, '-s', this.files.socket, '-P', this.files.pidFile];
    const child = spawn('setpriv', args, { stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    this.#child = child;
    let failed: string | undefined;
    child.once('error', (error) => (failed = `setpriv could not run (${error.message}): it comes with util-linux`));
    child.once('exit', (code, signal) => {
      failed ??= signal ? `killed by ${signal}` : `exit code ${code}`;
      this.#onExit(child, failed);
    });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline && !failed) {
      if (existsSync(this.files.socket) && (await this.birdc.run('show', 'status')).output.includes('Daemon is up and running')) {
        this.#startedAt = Date.now();
        log('info', `BIRD running (pid ${child.pid}), config ${this.files.config}, socket ${this.files.socket}`);
        return;
      }
      await sleep(50);
    }
    if (!failed) child.kill('SIGKILL');
    throw new Error(
      `BIRD did not start (${failed ?? `its socket did not answer within ${READY_TIMEOUT_MS} ms`}): ${this.birdPath} -c ${this.files.config}; its log:\n${tail(this.files.logFile)}`,
    );
  }

  #onExit(child: ChildProcess, why: string): void {
    if (this.#child !== child) return;
    /* One that never came up is start()'s failure to report, not a crash to restart. */
    const wasRunning = this.#startedAt !== null;
    this.#startedAt = null;
    if (this.#stopping || !wasRunning) return;
    log(
      'error',
      `BIRD exited (${why}); this node announces nothing until it runs again; restarting in ${RESTART_DELAY_MS} ms. Its log:\n${tail(this.files.logFile)}`,
    );
    this.#restartTimer = setTimeout(() => {
      this.restarts += 1;
      this.start().catch((error) => log('error', (error as Error).message));
    }, RESTART_DELAY_MS);
    this.#restartTimer.unref();
  }

  /** SIGTERM (BIRD closes its sessions, the routers withdraw this node), SIGKILL after the grace period. */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#restartTimer);
    const child = this.#child;
    if (!child || !this.running) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const late = await Promise.race([exited.then(() => false), sleep(STOP_GRACE_MS).then(() => true)]);
    if (late) {
      child.kill('SIGKILL');
      await exited;
    }
    this.#startedAt = null;
  }
}
