// Fails early, naming the missing piece, instead of failing halfway through `up`.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const REQUIRED = [
  { tool: 'ip', why: 'creates namespaces, veths and addresses (Debian package iproute2)' },
  { tool: 'ethtool', why: 'turns TX checksum offload off and GRO on (Debian package ethtool)' },
  { tool: 'sysctl', why: 'enables forwarding and disables IPv6 DAD inside the namespaces (Debian package procps)' },
  { tool: 'node', why: 'runs the backend servers and the client inside the namespaces' },
];

/* The ECMP testbed (ecmp.ts) and the agent's BGP speaker: BIRD 2 as router and per node. */
const BGP_REQUIRED = [
  { tool: 'bird', why: 'is the BGP/BFD daemon of the router and of each balancer node (Debian package bird2)' },
  { tool: 'birdc', why: 'controls the BIRD daemons through their sockets (Debian package bird2)' },
  { tool: 'setpriv', why: "ties each node's BIRD to its parent with a death signal (Debian package util-linux)" },
  { tool: 'nft', why: "drops a node's input to prove BFD withdraws it (Debian package nftables)" },
];

export function findOnPath(tool: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, tool);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here, keep looking
    }
  }
  return undefined;
}

/** Throws naming every missing tool; `bgp` adds the ECMP testbed's routing daemons. */
export function checkPrerequisites(options: { bgp?: boolean } = {}): void {
  const missing = [...REQUIRED, ...(options.bgp ? BGP_REQUIRED : [])].filter(({ tool }) => !findOnPath(tool));
  const problems = missing.map(({ tool, why }) => `missing prerequisite: "${tool}" not found on PATH; it ${why}`);
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    problems.push('the testbed must run as root (it creates network namespaces)');
  }
  if (problems.length) throw new Error(problems.join('\n'));
}
