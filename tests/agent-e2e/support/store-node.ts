/*
 * A fleet node as an operator runs it: the real `sluice agent --store ...`
 * process in a namespace that also holds the store (etcd on an address of
 * that namespace's loopback: TLS needs an address to name, and nothing leaves
 * the namespace). Each node attaches to a veth pair of its own, both ends in
 * the namespace, and pins under a bpffs mounted in its run directory (in the
 * root mount namespace, so it outlives `ip netns exec`).
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { AgentProcess, type AgentNetwork } from '@sluice/testbed/agent-process';
import { execIn, execInChecked, run, runChecked } from '@sluice/testbed/netns';

/* What a freshly mounted bpffs holds by itself (the kernel's iterators), not a pin of the agent's. */
const BPFFS_OWN = new Set(['maps.debug', 'progs.debug']);

export interface StoreNode {
  name: string;
  network: AgentNetwork;
  agent: AgentProcess | undefined;
}

/** The node's network: its veth pair (created if absent) in `namespace`, its run directory and pins under runRoot/name. */
export async function storeNodeNetwork(namespace: string, runRoot: string, name: string): Promise<AgentNetwork> {
  const runDir = join(runRoot, name);
  const pinDir = join(runDir, 'bpf');
  mkdirSync(pinDir, { recursive: true });
  if ((await run('findmnt', ['-n', '-t', 'bpf', pinDir])).code !== 0) await runChecked('mount', ['-t', 'bpf', 'bpffs', pinDir]);
  const [a, b] = [`${name}a`, `${name}b`];
  if ((await execIn(namespace, 'ip', ['link', 'show', a])).code !== 0) {
    await execInChecked(namespace, 'ip', ['link', 'add', a, 'type', 'veth', 'peer', 'name', b]);
    for (const end of [a, b]) await execInChecked(namespace, 'ip', ['link', 'set', end, 'up']);
  }
  return { topology: { lb: { namespace } }, interfaces: [a], pinDir, runDir };
}

/** Starts `sluice agent --node-name NAME ...storeArgs` and resolves once it serves its socket. */
export async function startStoreNode(namespace: string, runRoot: string, name: string, storeArgs: string[]): Promise<StoreNode> {
  const network = await storeNodeNetwork(namespace, runRoot, name);
  const agent = await AgentProcess.start(network, ['--node-name', name, ...storeArgs]);
  return { name, network, agent };
}

/** What a node that must refuse to start left behind: its exit, its output, whether XDP is on its interface, its pins. */
export async function refusedStart(namespace: string, runRoot: string, name: string, storeArgs: string[], timeoutMs = 20_000) {
  const network = await storeNodeNetwork(namespace, runRoot, name);
  const result = await AgentProcess.runToExit(network, timeoutMs, ['--node-name', name, ...storeArgs]);
  const link = await execInChecked(namespace, 'ip', ['-d', 'link', 'show', network.interfaces[0]!]);
  return { ...result, xdpAttached: /\bxdp/.test(link.stdout), pins: readdirSync(network.pinDir).filter((name) => !BPFFS_OWN.has(name)) };
}

/** Stops the agent (SIGTERM, then SIGKILL), detaches, unmounts the pins and removes its files. Never throws. */
export async function stopStoreNode(node: StoreNode | undefined): Promise<void> {
  if (!node) return;
  await node.agent?.stopAndTeardown();
  await run('umount', [node.network.pinDir]);
  rmSync(node.network.runDir, { recursive: true, force: true });
}

/** The pins and the run directory of a node that never ran (refusedStart's). Never throws. */
export async function removeStoreNodeFiles(runRoot: string, name: string): Promise<void> {
  await run('umount', [join(runRoot, name, 'bpf')]);
  rmSync(join(runRoot, name), { recursive: true, force: true });
}
