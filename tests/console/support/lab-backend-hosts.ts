/*
 * The lab's backends made ready for dsr, ipip and gue as README's "Preparing
 * a backend" says: every mode VIP on the loopback, arp_ignore=1 and
 * arp_announce=2, loose rp_filter, and the decapsulation program (with an
 * advmss that fits the tunnels on the default routes) attached with the real
 * `sluice backend-host attach` (XDP on eth0, IPIP and GUE to the backend's
 * own address). The classic testbed's backends sit on-link behind the
 * balancer (one veth each) and route through it, so dsr works there and the
 * replies of every mode go back through the balancer's namespace: not through
 * its XDP program (they are addressed to the client, not to a VIP, so XDP
 * passes them) but through its kernel's forwarding.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BACKENDS, GUE_PORT, MODE_VIPS, REPO_ROOT, backendAddress, backendRunDir, namespace } from './lab-settings.ts';
import { type CommandResult, mustRun, runCommand } from './run-command.ts';

const SLUICE = join(REPO_ROOT, 'apps/agent/bin/sluice.mjs');
const TIMEOUT_MS = 60_000;
/* testbed/README.md: the client is 198.18.0.2 on the LB's cli0. */
const CLIENT_ADDRESS = '198.18.0.2';

const isMounted = async (dir: string) => (await runCommand('mountpoint', ['-q', dir], { timeoutMs: 10_000 })).code === 0;

/** `sluice backend-host ARGS` on backend i, as root inside its namespace, with its run directory. */
export function backendHost(i: number, args: string[]): Promise<CommandResult> {
  return runCommand('ip', ['netns', 'exec', namespace(`be${i}`), process.execPath, SLUICE, 'backend-host', ...args, '--run-dir', backendRunDir(i)], {
    timeoutMs: TIMEOUT_MS,
    cwd: REPO_ROOT,
  });
}

/** A shell command inside backend i's namespace (sysctl, ip). */
export function onBackend(i: number, command: string): Promise<string> {
  return mustRun('ip', ['netns', 'exec', namespace(`be${i}`), 'sh', '-c', command], { timeoutMs: TIMEOUT_MS });
}

export async function prepareModeBackends(): Promise<void> {
  /*
   * Health probes of dsr/ipip/gue backends go through the data path: the
   * agent connects to the VIP and its TC egress program steers the packet
   * (health/probe-steering.ts), so the balancer needs a route for each VIP
   * out of an interface it runs on, as its default route would give it: via
   * a neighbour that answers ARP (the client; without one the probe waits for
   * ARP and never leaves), and rewritten by the steering before it goes. Only
   * these VIPs: the nat services' stay unroutable, as the other specs expect.
   */
  for (const vip of Object.values(MODE_VIPS))
    await mustRun('ip', ['-n', namespace('lb'), 'route', 'add', `${vip}/32`, 'via', CLIENT_ADDRESS, 'dev', 'cli0'], { timeoutMs: 10_000 });
  for (let i = 1; i <= BACKENDS; i++) {
    for (const vip of Object.values(MODE_VIPS)) await onBackend(i, `ip addr add ${vip}/32 dev lo`);
    await onBackend(
      i,
      'sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.all.rp_filter=2 net.ipv4.conf.eth0.rp_filter=2',
    );
    const pins = join(backendRunDir(i), 'bpf');
    mkdirSync(pins, { recursive: true });
    /* ip netns exec mounts in a namespace of its own: the bpffs for the pins is mounted here, where every later command sees it. */
    if (!(await isMounted(pins))) await mustRun('mount', ['-t', 'bpf', 'bpffs', pins], { timeoutMs: 10_000 });
    const attach = await backendHost(i, ['attach', '--interface', 'eth0', '--address', backendAddress(i), '--gue-port', String(GUE_PORT)]);
    if (attach.code !== 0) throw new Error(`backend-host attach on be${i} exited ${attach.code}: ${attach.stderr}${attach.stdout}`);
  }
}

/* The programs go with the namespaces; what is left here is each backend's bpffs. */
export async function unmountBackendRunDirs(): Promise<void> {
  for (let i = 1; i <= BACKENDS; i++) {
    const pins = join(backendRunDir(i), 'bpf');
    if (existsSync(pins) && (await isMounted(pins))) await runCommand('umount', [pins], { timeoutMs: 10_000 });
  }
}
