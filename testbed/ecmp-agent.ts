/*
 * The real `sluice agent` on a node of the ECMP network (ecmp.ts): attached to
 * the node's uplink and segment arm (eth0, eth1), announcing over BGP to the
 * router on its uplink (IPv4 and IPv6 sessions, the network's BFD timings),
 * with its run directory, pins (a bpffs mounted here, in the root mount
 * namespace, so they outlive `ip netns exec`) and BGP settings of its own.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentProcess, type AgentNetwork } from './agent-process.ts';
import type { Ecmp, EcmpNode } from './ecmp.ts';
import { run, runChecked } from './netns.ts';

export interface NodeAgent {
  node: EcmpNode;
  /** What AgentProcess and the CLI helpers (sluice, sluiceJson) take. */
  network: AgentNetwork;
  agent: AgentProcess;
  bgpConfig: string;
}

/** The node's BGP settings for `sluice agent --bgp-config`: the router on its uplink, both families. */
export function nodeBgpSettings(ecmp: Pick<Ecmp, 'nodeAs' | 'router' | 'bfd'>, node: EcmpNode, pollMs = 250) {
  return {
    localAs: ecmp.nodeAs,
    routerId: node.uplink.ipv4,
    peers: [
      { address: node.router.ipv4, as: ecmp.router.as },
      { address: node.router.ipv6, as: ecmp.router.as },
    ],
    holdTimeS: 3,
    bfd: ecmp.bfd,
    pollMs,
  };
}

/**
 * Starts an agent on `node`, its files under runRoot/<node name>; resolves once it serves its socket.
 * pollMs: how often the agent reads BIRD (default 250 ms; each read runs birdc several times).
 */
export async function startNodeAgent(
  ecmp: Ecmp,
  node: EcmpNode,
  runRoot: string,
  extraArgs: string[] = [],
  options: { pollMs?: number } = {},
): Promise<NodeAgent> {
  const runDir = join(runRoot, node.name);
  const pinDir = join(runDir, 'bpf');
  mkdirSync(pinDir, { recursive: true });
  if ((await run('findmnt', ['-n', '-t', 'bpf', pinDir])).code !== 0) await runChecked('mount', ['-t', 'bpf', 'bpffs', pinDir]);
  const bgpConfig = join(runDir, 'bgp.json');
  writeFileSync(bgpConfig, JSON.stringify(nodeBgpSettings(ecmp, node, options.pollMs)));
  const network: AgentNetwork = { topology: { lb: { namespace: node.namespace } }, interfaces: ['eth0', 'eth1'], pinDir, runDir };
  const agent = await AgentProcess.start(network, ['--bgp-config', bgpConfig, '--detach-on-exit', ...extraArgs]);
  return { node, network, agent, bgpConfig };
}

/** Stops the agent (SIGTERM, then SIGKILL), detaches its program, unmounts its pins and removes its files. Never throws. */
export async function stopNodeAgent(nodeAgent: NodeAgent): Promise<void> {
  await nodeAgent.agent.stopAndTeardown();
  await run('umount', [nodeAgent.network.pinDir]);
  rmSync(nodeAgent.network.runDir, { recursive: true, force: true });
}
