/*
 * Two namespaces the forwarding tests make for themselves: the balancer's
 * (the agent's route lookups and neighbour entries run there through
 * `ip -n`) and one backend host on its link. Nothing links them to the root
 * namespace and neither has a route out:
 *   balancer  lb0 10.77.0.1/24 fd77::1/64 --veth-- be0 10.77.0.2/24 fd77::2/64  backend
 *   balancer: 10.88.0.0/24 and fd88::/64 via the backend (a routed network: not on-link)
 * SLUICE_TEST_TAG suffixes the names, so checkouts do not meet.
 */
import { execFileSync } from 'node:child_process';

const TAG = process.env.SLUICE_TEST_TAG ?? '';
if (!/^[a-z0-9]{0,4}$/.test(TAG)) throw new Error(`SLUICE_TEST_TAG must be 0-4 lowercase letters or digits, got "${TAG}"`);

export const LAB = {
  balancer: `slfwl${TAG}`,
  backend: `slfwb${TAG}`,
  balancerDev: 'lb0',
  balancer4: '10.77.0.1',
  balancer6: 'fd77::1',
  onLink4: '10.77.0.2',
  onLink6: 'fd77::2',
  /** Reached through the gateway 10.77.0.2 / fd77::2. */
  routed4: '10.88.0.5',
  routed6: 'fd88::5',
  /** No route at all. */
  unreachable4: '10.99.0.5',
} as const;

const ip = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

export function labDown(): void {
  for (const ns of [LAB.balancer, LAB.backend]) {
    try {
      ip('netns', 'del', ns);
    } catch {
      /* not there: nothing to remove */
    }
  }
}

export function labUp(): void {
  labDown();
  const { balancer: L, backend: B } = LAB;
  ip('netns', 'add', L);
  ip('netns', 'add', B);
  ip('-n', L, 'link', 'add', LAB.balancerDev, 'type', 'veth', 'peer', 'name', 'be0', 'netns', B);
  ip('-n', L, 'addr', 'add', `${LAB.balancer4}/24`, 'dev', LAB.balancerDev);
  ip('-n', B, 'addr', 'add', `${LAB.onLink4}/24`, 'dev', 'be0');
  ip('-n', L, '-6', 'addr', 'add', `${LAB.balancer6}/64`, 'dev', LAB.balancerDev, 'nodad');
  ip('-n', B, '-6', 'addr', 'add', `${LAB.onLink6}/64`, 'dev', 'be0', 'nodad');
  for (const [ns, dev] of [
    [L, LAB.balancerDev],
    [B, 'be0'],
    [L, 'lo'],
    [B, 'lo'],
  ] as const)
    ip('-n', ns, 'link', 'set', dev, 'up');
  ip('-n', L, 'route', 'add', '10.88.0.0/24', 'via', LAB.onLink4);
  ip('-n', L, '-6', 'route', 'add', 'fd88::/64', 'via', LAB.onLink6);
}

/** The backend host's MAC on the link: what the balancer must resolve. */
export function backendMac(): string {
  const [link] = JSON.parse(ip('-n', LAB.backend, '-j', 'link', 'show', 'be0')) as { address: string }[];
  return link!.address;
}

/** The balancer's neighbour entry for an address, as the kernel has it. */
export function balancerNeighbour(address: string): { lladdr?: string; state?: string[]; managed?: null } | undefined {
  const [entry] = JSON.parse(ip('-n', LAB.balancer, '-j', 'neigh', 'show', address, 'dev', LAB.balancerDev) || '[]');
  return entry;
}
