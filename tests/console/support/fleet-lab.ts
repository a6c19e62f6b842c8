/*
 * A lab for the Node page's Fleet panel (issue 16): one real etcd in a
 * namespace (tests/agent-e2e/support/fleet.ts's testbed, reached over its
 * unix socket), three real `sluice agent --store etcd+unix://...` processes
 * (support/store-node.ts: each on a veth pair of its own in that namespace),
 * a service with two backends made through n1's CLI, and one console on n1
 * (port CONSOLE_PORT + 4), as an operator runs a fleet. tearDownFleetLab()
 * undoes all of it and is safe at any point (global-teardown calls it too,
 * after a crash): it ends only what this lab started, by the pids it wrote down.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentProcess } from '@sluice/testbed/agent-process';
import { removeEtcdNamespace, startEtcd, stopEtcd } from '@sluice/testbed/etcd';
import { run } from '@sluice/testbed/netns';
import { tagged } from '@sluice/testbed/tag';
import { FLEET_NAMESPACE, type FleetTestbed, startFleetTestbed, stopFleetTestbed } from '../../agent-e2e/support/fleet.ts';
import { type StoreNode, startStoreNode, stopStoreNode } from '../../agent-e2e/support/store-node.ts';
import { signalRecorded, startExtraConsole } from './extra-console.ts';
import { CONSOLE_PORT, USERS } from './lab-settings.ts';
import { nodeSluice } from './node-lab.ts';

const RUN_ROOT = tagged('/run/sluice-console-fleet');
export const FLEET_NODES = ['n1', 'n2', 'n3'] as const;
export type FleetNodeName = (typeof FLEET_NODES)[number];
export const fleetConsoleUrl = `http://127.0.0.1:${CONSOLE_PORT + 4}`;
export const FLEET_SERVICE = '198.18.100.1:80/tcp';
export const FLEET_BACKENDS = ['198.19.1.2:8080', '198.19.1.3:8080'] as const;
const CONSOLE_PID_FILE = join(RUN_ROOT, 'console.pid');
const ETCD_FILE = join(RUN_ROOT, 'etcd.json');
const agentPidFile = (name: string) => join(RUN_ROOT, `${name}-agent.pid`);

export interface FleetLab {
  bed: FleetTestbed;
  nodes: Map<FleetNodeName, StoreNode>;
}

let current: FleetLab | undefined;

export async function bringUpFleetLab(): Promise<FleetLab> {
  await tearDownFleetLab();
  mkdirSync(RUN_ROOT, { recursive: true });
  const bed = await startFleetTestbed();
  writeFileSync(ETCD_FILE, JSON.stringify(bed));
  current = { bed, nodes: new Map() };
  for (const name of FLEET_NODES) {
    const node = await startStoreNode(FLEET_NAMESPACE, RUN_ROOT, name, ['--store', bed.etcd.storeUrl]);
    current.nodes.set(name, node);
    writeFileSync(agentPidFile(name), `${node.agent!.pid}\n`);
  }
  const n1 = current.nodes.get('n1')!.network;
  for (const role of ['operator', 'viewer'] as const) await nodeSluice(n1, ['user', 'add', USERS[role].user, '--role', role], `${USERS[role].password}\n`);
  await nodeSluice(n1, ['service', 'add', FLEET_SERVICE, '--check', 'none']);
  for (const endpoint of FLEET_BACKENDS) await nodeSluice(n1, ['backend', 'add', FLEET_SERVICE, endpoint]);
  await startExtraConsole({ socket: AgentProcess.paths(n1).socket, port: CONSOLE_PORT + 4, logFile: join(RUN_ROOT, 'console.log'), pidFile: CONSOLE_PID_FILE });
  return current;
}

/** Console, agents (detached, pins gone), etcd and its namespace; never throws. */
export async function tearDownFleetLab(): Promise<void> {
  signalRecorded(CONSOLE_PID_FILE, 'SIGTERM', true);
  if (current) {
    for (const [name, node] of current.nodes) {
      await stopStoreNode(node).catch(() => undefined);
      rmSync(agentPidFile(name), { force: true });
    }
    await stopFleetTestbed(current.bed).catch(() => undefined);
    rmSync(ETCD_FILE, { force: true });
  }
  current = undefined;
  /* After a crash of the run that started it: its agents by pid, etcd by its recorded pid and data dir, then the namespace. */
  for (const name of FLEET_NODES) signalRecorded(agentPidFile(name), 'SIGKILL', false);
  if (existsSync(ETCD_FILE)) {
    const bed = JSON.parse(readFileSync(ETCD_FILE, 'utf8')) as FleetTestbed;
    await stopEtcd(bed.etcd).catch(() => undefined);
    rmSync(bed.dir, { recursive: true, force: true });
  }
  await removeEtcdNamespace(FLEET_NAMESPACE).catch(() => undefined);
  if (existsSync(RUN_ROOT)) {
    for (const name of FLEET_NODES) await run('umount', [join(RUN_ROOT, name, 'bpf')]).catch(() => undefined);
    rmSync(RUN_ROOT, { recursive: true, force: true });
  }
}

/** SIGKILL one node (no clean stop, so its registration stays until its lease lapses); its files go at teardown. */
export async function killFleetNode(name: FleetNodeName): Promise<void> {
  await current?.nodes.get(name)?.agent?.kill();
}

/** etcd stopped: the nodes keep forwarding on what they applied and refuse changes. */
export async function stopFleetStore(): Promise<void> {
  if (current) await stopEtcd(current.bed.etcd);
}

/** etcd started again on its data (and recorded for a teardown after a crash). */
export async function startFleetStore(): Promise<void> {
  if (!current) return;
  current.bed.etcd = await startEtcd({ namespace: FLEET_NAMESPACE, dir: current.bed.etcd.dir });
  writeFileSync(ETCD_FILE, JSON.stringify(current.bed));
}
