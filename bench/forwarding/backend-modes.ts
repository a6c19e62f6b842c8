/*
 * The backends made ready for Sluice's dsr and ipip modes, as the README
 * says an operator does it, for the length of one scenario: the VIP on the
 * loopback (the client's packet arrives still addressed to it), arp_ignore /
 * arp_announce (the backend never answers ARP for it), and in ipip
 * `sluice backend-host attach` with the decapsulation program in TC on eth0
 * (XDP on eth0 holds the bench's sink, which runs first and passes its
 * sample, still encapsulated, up to the decap). Undone at the end of the
 * scenario, also when it failed; the namespaces go at the end of the bench.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inNamespace, mustRun, mustRunIn, runCommand } from '../processes.js';
import { BENCH_RUN_DIR } from '../sluice-agent.js';
import type { BenchNetwork } from './network.js';

export type BypassMode = 'dsr' | 'ipip';

const SLUICE = fileURLToPath(new URL('../../apps/agent/bin/sluice.mjs', import.meta.url));
const runDirOf = (ns: string) => join(BENCH_RUN_DIR, `backend-host-${ns}`);
const bpffsOf = (ns: string) => join(runDirOf(ns), 'bpf');
const isMounted = async (dir: string) => existsSync(dir) && (await runCommand('mountpoint', ['-q', dir], 10_000)).code === 0;

/* All backends at once (one at a time costs seconds of node start-ups per scenario); every one finishes before a failure is thrown. */
export async function prepareBackends(net: BenchNetwork, mode: BypassMode, vip: string): Promise<void> {
  await allDone(net.backendNs.map((ns, k) => prepareBackend(ns, net.backendAddresses[k]!, mode, vip)));
}

async function allDone(work: Promise<void>[]): Promise<void> {
  const failed = (await Promise.allSettled(work)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

async function prepareBackend(ns: string, address: string, mode: BypassMode, vip: string): Promise<void> {
  await mustRun('ip', ['-n', ns, 'addr', 'replace', `${vip}/32`, 'dev', 'lo']);
  await mustRunIn(ns, 'sysctl', ['-qw', 'net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2']);
  if (mode !== 'ipip') return;
  /* `ip netns exec` gives its child private mounts: the bpffs for the decap's pins is mounted out here. */
  mkdirSync(bpffsOf(ns), { recursive: true });
  if (!(await isMounted(bpffsOf(ns)))) await mustRun('mount', ['-t', 'bpf', 'bpffs', bpffsOf(ns)]);
  const args = ['backend-host', 'attach', '--interface', 'eth0', '--mode', 'tc', '--address', address, '--vip', vip];
  const attach = await inNamespace(ns, process.execPath, [SLUICE, ...args, '--run-dir', runDirOf(ns)], 60_000);
  if (attach.code !== 0) throw new Error(`sluice ${args.join(' ')} in ${ns} exited ${attach.code}: ${attach.stderr}${attach.stdout}`);
}

/** Undoes prepareBackends; safe to call when it did nothing or failed half-way. */
export async function restoreBackends(net: BenchNetwork, vip: string): Promise<void> {
  await allDone(net.backendNs.map((ns) => restoreBackend(ns, vip)));
}

async function restoreBackend(ns: string, vip: string): Promise<void> {
  if (existsSync(join(runDirOf(ns), 'state.json')) || (await isMounted(bpffsOf(ns)))) {
    await inNamespace(ns, process.execPath, [SLUICE, 'backend-host', 'detach', '--run-dir', runDirOf(ns)], 60_000);
  }
  if (await isMounted(bpffsOf(ns))) await mustRun('umount', [bpffsOf(ns)]);
  rmSync(runDirOf(ns), { recursive: true, force: true });
  await runCommand('ip', ['-n', ns, 'addr', 'del', `${vip}/32`, 'dev', 'lo'], 10_000);
  await runCommand('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.conf.all.arp_ignore=0', 'net.ipv4.conf.all.arp_announce=0'], 10_000);
}
