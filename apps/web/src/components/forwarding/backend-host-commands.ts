/*
 * The commands that prepare a backend for a mode, as README's "Forwarding
 * modes and preparing backends" gives them: one source for the service
 * page's panel and the host-check cell's "not reported" hint.
 */
import type { ForwardingMode } from '@sluice/api';

const isV6 = (address: string) => address.includes(':');

export interface PrepareStep {
  why: string;
  command: string;
}

/** Run on the backend host (as root). `vip`: the service's address; `address`: the backend's own. */
export function prepareSteps(mode: Exclude<ForwardingMode, 'nat'>, vip: string, address = 'BACKEND_ADDRESS', guePort = 6080): PrepareStep[] {
  const steps: PrepareStep[] = [
    {
      why: 'The VIP on the loopback: the backend accepts the packet and answers the client from the VIP.',
      command: `ip addr add ${vip}/${isV6(vip) ? 128 : 32} dev lo`,
    },
  ];
  if (mode === 'dsr') {
    if (!isV6(vip))
      steps.push({
        why: 'Never answer ARP for the VIP (it would take the VIP from the balancer) nor use it as an ARP source.',
        command: 'sysctl -w net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2',
      });
  } else {
    steps.push(
      {
        why: `Decapsulate ${mode === 'gue' ? 'GUE' : 'IPIP/IP6IP6'} addressed to the backend (no kernel module needed).`,
        command: `sluice backend-host attach --interface eth0 --address ${address}${mode === 'gue' ? ` --gue-port ${guePort}` : ''}`,
      },
      {
        why: 'Loose reverse-path filtering: the decapsulated packet’s source is the client.',
        command: 'sysctl -w net.ipv4.conf.all.rp_filter=2 net.ipv4.conf.eth0.rp_filter=2',
      },
      {
        why: `attach also sets an advmss that fits the ${mode === 'gue' ? '28 (GUE over IPv4) or 48 (over IPv6)' : '20 (IPIP) or 40 (IP6IP6)'} bytes the balancer adds, on the default routes (unless --keep-mss); the same by hand:`,
        command: `ip route change default via GATEWAY dev eth0 advmss ${mode === 'gue' ? (isV6(vip) ? 1392 : 1432) : isV6(vip) ? 1400 : 1440}`,
      },
    );
  }
  return steps;
}

/** Check the host and hand the result to the agent (on the balancer). */
export function reportCommand(mode: ForwardingMode, vip: string, address = 'BACKEND_ADDRESS'): string {
  /* Without a decap program (dsr) nothing names the host's address: --address does, and --dsr-only says none is needed. */
  const name = mode === 'dsr' ? ` --address ${address} --dsr-only` : '';
  return `ssh ${address} sluice backend-host check --json --vip ${vip}${name} | sluice backend-host report -`;
}
