/*
 * The kernel peer: nftables DNAT load balancing in the LB namespace,
 * round robin over the same three backends (conntrack keeps each flow on its
 * backend and rewrites the replies). Loaded only while it is measured, since
 * a NAT table turns conntrack on for every packet of the namespace.
 */
import { mustRun, runCommand } from '../processes.js';
import { HTTP_PORT, UDP_PORT, VIPS } from './network.js';

const TABLE = 'slbench';

export async function nftablesUp(lbNs: string, backends: string[]): Promise<void> {
  const map = backends.map((address, i) => `${i} : ${address}`).join(', ');
  const ruleset = `table ip ${TABLE} {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr ${VIPS.nftables} tcp dport ${HTTP_PORT} dnat to numgen inc mod ${backends.length} map { ${map} }
    ip daddr ${VIPS.nftables} udp dport ${UDP_PORT} dnat to numgen inc mod ${backends.length} map { ${map} }
  }
}
`;
  await mustRun('ip', ['netns', 'exec', lbNs, 'nft', '-f', '-'], 10_000, ruleset);
}

export async function nftablesDown(lbNs: string): Promise<void> {
  await runCommand('ip', ['netns', 'exec', lbNs, 'nft', 'delete', 'table', 'ip', TABLE], 10_000);
}
