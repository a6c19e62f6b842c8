/*
 * A lab for the Node page of an active/standby pair (issue 13): the suite's
 * own agent has no peer, so this one brings up @sluice/testbed/ha-pair (two
 * nodes, each its real agent and real keepalived on the shipped template,
 * flow sync between them, three backends) and serves one more console per
 * node (ports CONSOLE_PORT + 2 and + 3), each on its node's agent, as an
 * operator runs a pair. tearDownPairLab() undoes all of it and is safe at any
 * point (global-teardown calls it too, after a crash): it ends only what
 * this lab started, by the pids it wrote down.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentProcess } from '@sluice/testbed/agent-process';
import { haDown } from '@sluice/testbed/ha';
import { type Pair, pairDown, pairUp } from '@sluice/testbed/ha-pair';
import { run } from '@sluice/testbed/netns';
import { tagged } from '@sluice/testbed/tag';
import { signalRecorded, startExtraConsole } from './extra-console.ts';
import { CONSOLE_PORT, USERS } from './lab-settings.ts';
import { nodeSluice } from './node-lab.ts';

export const PAIR_LAB_PREFIX = tagged('slcp');
const RUN_ROOT = tagged('/run/sluice-console-pair');
const NODES = ['n1', 'n2'] as const;
export type PairNodeName = (typeof NODES)[number];
export const pairConsoleUrl = (name: PairNodeName) => `http://127.0.0.1:${CONSOLE_PORT + 2 + NODES.indexOf(name)}`;
const consolePidFile = (name: string) => join(RUN_ROOT, `${name}-console.pid`);
const agentPidFile = (name: string) => join(RUN_ROOT, `${name}-agent.pid`);

let current: Pair | undefined;

export async function bringUpPairLab(): Promise<Pair> {
  await tearDownPairLab();
  mkdirSync(RUN_ROOT, { recursive: true });
  current = await pairUp(PAIR_LAB_PREFIX, RUN_ROOT);
  for (const name of NODES) {
    const p = current.nodes.get(name)!;
    writeFileSync(agentPidFile(name), `${p.agent!.pid}\n`);
    await nodeSluice(p.network, ['user', 'add', USERS.viewer.user, '--role', 'viewer'], `${USERS.viewer.password}\n`);
    await startExtraConsole({
      socket: AgentProcess.paths(p.network).socket,
      port: CONSOLE_PORT + 2 + NODES.indexOf(name),
      logFile: join(RUN_ROOT, `${name}-console.log`),
      pidFile: consolePidFile(name),
    });
  }
  return current;
}

/** Consoles, agents (detached, pins gone), keepalived, backends and namespaces; never throws. */
export async function tearDownPairLab(): Promise<void> {
  for (const name of NODES) signalRecorded(consolePidFile(name), 'SIGTERM', true);
  if (current) await pairDown(current, PAIR_LAB_PREFIX).catch(() => undefined);
  current = undefined;
  /* After a crash of the run that started it: its agents by pid, then keepalived, the servers and the namespaces. */
  for (const name of NODES) signalRecorded(agentPidFile(name), 'SIGKILL', false);
  await haDown({ prefix: PAIR_LAB_PREFIX }).catch(() => undefined);
  if (existsSync(RUN_ROOT)) {
    for (const name of NODES) await run('umount', [join(RUN_ROOT, name, 'bpf')]).catch(() => undefined);
    rmSync(RUN_ROOT, { recursive: true, force: true });
  }
}
