/*
 * The real `sluice agent` in the LB namespace with its own data dir, socket,
 * token file and pins; and the real `sluice` CLI talking to it from the root
 * namespace over the unix socket. kill() is SIGKILL: nothing of the agent's
 * own shutdown runs.
 */
import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { execIn, spawnIn } from './topology.ts';
import { waitForReadyFile } from './ready-file.ts';
import { REPO_ROOT } from './test-network.ts';

const SLUICE = join(REPO_ROOT, 'apps/agent/bin/sluice.mjs');
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const CLI_TIMEOUT_MS = 30_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * What the agent needs of a test network: the namespace it runs in, the
 * interfaces it attaches to, and a run directory with a bpffs at pinDir. A
 * testbed Network is one; so is the forwarding-modes fabric (tests/e2e/modes).
 */
export interface AgentNetwork {
  topology: { lb: { namespace: string } };
  interfaces: string[];
  pinDir: string;
  runDir: string;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class AgentProcess {
  #log = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly network: AgentNetwork,
    private readonly child: ChildProcess,
  ) {
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.#log += chunk));
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.#log += chunk));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  static paths(network: AgentNetwork) {
    return {
      dataDir: join(network.runDir, 'data'),
      socket: join(network.runDir, 'agent.sock'),
      tokenFile: join(network.runDir, 'admin.token'),
      readyFile: join(network.runDir, 'agent.ready'),
    };
  }

  static #spawn(network: AgentNetwork, extraArgs: string[]): AgentProcess {
    const paths = AgentProcess.paths(network);
    const child = spawnIn(
      network.topology.lb.namespace,
      process.execPath,
      [
        SLUICE,
        'agent',
        '--interfaces',
        network.interfaces.join(','),
        '--pin-dir',
        network.pinDir,
        '--data-dir',
        paths.dataDir,
        '--socket',
        paths.socket,
        '--token-file',
        paths.tokenFile,
        '--ready-file',
        paths.readyFile,
        '--flow-table-size',
        '65536',
        ...extraArgs,
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return new AgentProcess(network, child);
  }

  /** Starts the agent and resolves once it serves its socket (the ready file). Returns also the time it took. */
  static async start(network: AgentNetwork, extraArgs: string[] = []): Promise<AgentProcess> {
    const paths = AgentProcess.paths(network);
    rmSync(paths.readyFile, { force: true });
    const agent = AgentProcess.#spawn(network, extraArgs);
    const ready = await waitForReadyFile(paths.readyFile, { alive: () => agent.running, timeoutMs: START_TIMEOUT_MS });
    if (!ready) {
      await agent.kill();
      throw new Error(`sluice agent did not become ready:\n${agent.output}`);
    }
    return agent;
  }

  /**
   * Starts an agent expected to exit by itself (one that must refuse), with
   * the same paths as start(); resolves with its exit code and output, or
   * kills it after timeoutMs (code null).
   */
  static async runToExit(network: AgentNetwork, timeoutMs: number, extraArgs: string[] = []): Promise<{ code: number | null; output: string }> {
    const agent = AgentProcess.#spawn(network, extraArgs);
    const ended = await Promise.race([agent.exited, sleep(timeoutMs).then(() => undefined)]);
    if (!ended) await agent.kill();
    return { code: ended?.code ?? null, output: agent.output };
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get output(): string {
    return this.#log;
  }

  /** The agent's own pid (`ip netns exec` execs it in place), e.g. to read its /proc/PID/status. */
  get pid(): number {
    return this.child.pid!;
  }

  /** SIGHUP: the agent imports its --config file again. */
  reloadConfig(): void {
    if (this.running) this.child.kill('SIGHUP');
  }

  /** SIGKILL: the agent gets no chance to clean up (the XDP program and pins stay). */
  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, as an operator stops it (the XDP program and pins stay); throws if it does not exit in time. */
  async stop(): Promise<void> {
    if (this.running) this.child.kill('SIGTERM');
    const ended = await Promise.race([this.exited, sleep(STOP_TIMEOUT_MS).then(() => undefined)]);
    if (!ended) throw new Error(`sluice agent did not stop within ${STOP_TIMEOUT_MS} ms of SIGTERM:\n${this.output}`);
  }

  /** SIGTERM, then SIGKILL; and the interfaces detached and pins removed whatever happened. Never throws. */
  async stopAndTeardown(): Promise<void> {
    if (this.running) this.child.kill('SIGTERM');
    const ended = await Promise.race([this.exited, sleep(STOP_TIMEOUT_MS).then(() => undefined)]);
    if (!ended) await this.kill();
    await execIn(this.network.topology.lb.namespace, process.execPath, [
      SLUICE,
      'teardown',
      '--interfaces',
      this.network.interfaces.join(','),
      '--pin-dir',
      this.network.pinDir,
    ]).catch(() => undefined);
  }
}

/** Runs `sluice ARGS` from the root namespace against the test agent; killed after `timeoutMs` (default 30 s), which its result says. */
export function sluice(network: AgentNetwork, args: string[], timeoutMs = CLI_TIMEOUT_MS): Promise<CliResult> {
  const { socket, tokenFile } = AgentProcess.paths(network);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [SLUICE, ...args, '--socket', socket, '--token-file', tokenFile],
      { timeout: timeoutMs, cwd: REPO_ROOT },
      (error, stdout, stderr) => {
        const killed = error && (error as { killed?: boolean }).killed;
        const said = killed ? `${stderr}(the test killed it after ${timeoutMs} ms; its output so far: ${stdout.trim() || 'none'})` : stderr;
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr: said });
      },
    );
  });
}

/** `sluice ARGS --json`, parsed; throws with the CLI's message on a non-zero exit. */
export async function sluiceJson<T = any>(network: AgentNetwork, args: string[], timeoutMs?: number): Promise<T> {
  const result = await sluice(network, [...args, '--json'], timeoutMs);
  if (result.code !== 0) throw new Error(`sluice ${args.join(' ')} exited ${result.code}: ${result.stderr || result.stdout}`);
  return JSON.parse(result.stdout) as T;
}

export async function sluiceOk(network: AgentNetwork, args: string[]): Promise<string> {
  const result = await sluice(network, args);
  if (result.code !== 0) throw new Error(`sluice ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}
