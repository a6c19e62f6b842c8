/*
 * A second, small lab for the Node page's BGP half (node-bgp.spec.ts): the
 * console suite's own agent runs without --bgp-config, so this one brings up
 * @sluice/testbed/ecmp with one balancer node (its real agent and BIRD,
 * peered with the router's BIRD, BFD on) and one dsr backend, and serves a
 * second console (`next start`, the same production build) pointed at that
 * agent's socket. Kept apart from the main lab so that no other spec runs
 * beside BIRD or sees its node drained. tearDownNodeLab() undoes all of it
 * and is safe at any point (global-teardown calls it too, after a crash);
 * it ends only the processes this lab started, by the pids it wrote down.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AgentNetwork, AgentProcess } from '@sluice/testbed/agent-process';
import { type Ecmp, ecmpDown, ecmpUp } from '@sluice/testbed/ecmp';
import { type NodeAgent, startNodeAgent, stopNodeAgent } from '@sluice/testbed/ecmp-agent';
import { run } from '@sluice/testbed/netns';
import { tagged } from '@sluice/testbed/tag';
import { CONSOLE_PORT, REPO_ROOT, type TestRole, USERS } from './lab-settings.ts';
import { mustRun } from './run-command.ts';
import { signalRecorded, startExtraConsole } from './extra-console.ts';

export const NODE_LAB_PREFIX = tagged('slnv');
const RUN_ROOT = tagged('/run/sluice-console-node');
const CONSOLE_PID_FILE = join(RUN_ROOT, 'console.pid');
const CONSOLE_LOG = join(RUN_ROOT, 'console.log');
const AGENT_PID_FILE = join(RUN_ROOT, 'agent.pid');
/* The main console's port + 1 (playwright.config.ts serves the main one). */
export const NODE_CONSOLE_URL = `http://127.0.0.1:${CONSOLE_PORT + 1}`;
const SLUICE = join(REPO_ROOT, 'apps/agent/bin/sluice.mjs');
const CLI_TIMEOUT_MS = 30_000;
/* Quick checks (through the data path, as for every dsr backend): eligible within a second or two. */
const CHECK = ['--check', 'tcp', '--check-interval', '500ms', '--check-timeout', '400ms', '--rise', '1', '--fall', '2'];

export interface NodeLab {
  ecmp: Ecmp;
  nodeAgent: NodeAgent;
  /** The dsr service on the line server's port (held connections), and its one backend. */
  service: string;
  vip: string;
  port: number;
}

/** `sluice ARGS` against the node's agent with its admin token; stdin for passwords. */
export function nodeSluice(network: AgentNetwork, args: string[], input?: string): Promise<string> {
  const { socket, tokenFile } = AgentProcess.paths(network);
  return mustRun(process.execPath, [SLUICE, ...args], {
    timeoutMs: CLI_TIMEOUT_MS,
    input,
    cwd: REPO_ROOT,
    env: { ...process.env, SLUICE_SOCKET: socket, SLUICE_TOKEN_FILE: tokenFile },
  });
}

export async function nodeSluiceJson<T>(network: AgentNetwork, args: string[]): Promise<T> {
  return JSON.parse(await nodeSluice(network, [...args, '--json'])) as T;
}

let current: NodeLab | undefined;

export async function bringUpNodeLab(): Promise<NodeLab> {
  await tearDownNodeLab();
  mkdirSync(RUN_ROOT, { recursive: true });
  /* The network's least is two nodes; only n1 runs an agent (n2's sessions with the router stay down, as in announce.test.ts). */
  const ecmp = await ecmpUp({ prefix: NODE_LAB_PREFIX, nodes: 2, backends: 1 });
  const node = ecmp.nodes[0]!;
  const nodeAgent = await startNodeAgent(ecmp, node, RUN_ROOT);
  writeFileSync(AGENT_PID_FILE, `${nodeAgent.agent.pid}\n`);
  const be = ecmp.backends[0]!;
  const vip = ecmp.vips.ipv4[0]!;
  const service = `${vip}:${be.ports.tcp}/tcp`;
  current = { ecmp, nodeAgent, service, vip, port: be.ports.tcp };
  for (const role of ['operator', 'viewer'] as const satisfies TestRole[])
    await nodeSluice(nodeAgent.network, ['user', 'add', USERS[role].user, '--role', role], `${USERS[role].password}\n`);
  await nodeSluice(nodeAgent.network, ['service', 'add', service, '--mode', 'dsr', ...CHECK]);
  await nodeSluice(nodeAgent.network, ['backend', 'add', service, `${be.ipv4}:${be.ports.tcp}`]);
  await startExtraConsole({ socket: AgentProcess.paths(nodeAgent.network).socket, port: CONSOLE_PORT + 1, logFile: CONSOLE_LOG, pidFile: CONSOLE_PID_FILE });
  return current;
}

/** Console, agent (detached, pins gone), BIRDs and namespaces; never throws. */
export async function tearDownNodeLab(): Promise<void> {
  signalRecorded(CONSOLE_PID_FILE, 'SIGTERM', true);
  if (current) await stopNodeAgent(current.nodeAgent).catch(() => undefined);
  current = undefined;
  /* After a crash of the run that started it: the agent leaves with its BIRD (pdeathsig); its namespace goes below. */
  signalRecorded(AGENT_PID_FILE, 'SIGKILL', false);
  await ecmpDown({ prefix: NODE_LAB_PREFIX }).catch(() => undefined);
  /* A crashed run's leftovers: the node's pins were mounted under RUN_ROOT. */
  if (existsSync(RUN_ROOT)) {
    await run('umount', [join(RUN_ROOT, 'n1', 'bpf')]).catch(() => undefined);
    /* Its data dir too: the next run starts from an empty store. */
    rmSync(RUN_ROOT, { recursive: true, force: true });
  }
}
