// The wiring every namespaced test network uses: namespaces, veth pairs made
// inside them (never an end in the root namespace), addresses, default routes
// and sysctls. fabric.ts and ecmp.ts build their topologies from these.
import { rmSync } from 'node:fs';
import { execInChecked, killNamespaceProcesses, listNamespaces, run, runChecked } from './netns.ts';

export const ip = (ns: string, ...args: string[]) => runChecked('ip', ['-n', ns, ...args]);
export const sysctl = (ns: string, ...settings: string[]) => execInChecked(ns, 'sysctl', ['-q', '-w', ...settings]);

/** A fresh namespace with lo up and IPv6 DAD off (addresses usable at once). */
export async function createNamespace(ns: string): Promise<void> {
  await runChecked('ip', ['netns', 'add', ns]);
  await sysctl(ns, 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0');
  await ip(ns, 'link', 'set', 'lo', 'up');
}

/** A veth pair made inside `ns` with its peer moved straight into `peerNs`: no end ever exists in the root namespace. */
export async function link(ns: string, name: string, peerNs: string, peerName: string): Promise<void> {
  await ip(ns, 'link', 'add', name, 'type', 'veth', 'peer', 'name', peerName, 'netns', peerNs);
  // An XDP redirect loses the partial-checksum state; a redirected frame needs GRO (or XDP) on the receiving end.
  for (const [n, i] of [
    [ns, name],
    [peerNs, peerName],
  ] as const) {
    await execInChecked(n, 'ethtool', ['-K', i, 'tx', 'off', 'gro', 'on']);
  }
}

export async function address(ns: string, dev: string, ipv4: string, v4len: number, ipv6: string, v6len: number): Promise<void> {
  await ip(ns, 'addr', 'add', `${ipv4}/${v4len}`, 'dev', dev);
  await ip(ns, '-6', 'addr', 'add', `${ipv6}/${v6len}`, 'dev', dev, 'nodad');
  await ip(ns, 'link', 'set', dev, 'up');
}

export async function defaultRoutes(ns: string, ipv4: string, ipv6: string): Promise<void> {
  await ip(ns, 'route', 'add', 'default', 'via', ipv4);
  await ip(ns, '-6', 'route', 'add', 'default', 'via', ipv6);
}

/** A bridge in `ns` with the router's addresses on it: one L2 segment whose gateway is `ns`. */
export async function bridge(ns: string, name: string, ipv4: string, v4len: number, ipv6: string, v6len: number): Promise<void> {
  await ip(ns, 'link', 'add', name, 'type', 'bridge');
  await address(ns, name, ipv4, v4len, ipv6, v6len);
}

/** A veth from bridge `bridgeName` in `ns` to `peerNs`'s `peerName`: one more host on the segment. */
export async function bridgePort(ns: string, bridgeName: string, name: string, peerNs: string, peerName: string): Promise<void> {
  await link(ns, name, peerNs, peerName);
  await ip(ns, 'link', 'set', name, 'master', bridgeName);
  await ip(ns, 'link', 'set', name, 'up');
}

/*
 * Tears a network down: `stopDaemons` (what it started by pid), then every
 * process left in the namespaces `owns` recognises, then those namespaces and
 * the state dir. Idempotent; throws naming any namespace that would not go.
 */
export async function networkDown(network: string, dir: string, owns: (namespace: string) => boolean, stopDaemons: () => Promise<void>): Promise<string[]> {
  const namespaces = (await listNamespaces()).filter(owns);
  await stopDaemons();
  await killNamespaceProcesses(namespaces);
  for (const ns of namespaces) await run('ip', ['netns', 'del', ns]);
  const left = (await listNamespaces()).filter(owns);
  if (left.length) throw new Error(`${network} down could not remove ${left.join(', ')}`);
  rmSync(dir, { recursive: true, force: true });
  return namespaces;
}
