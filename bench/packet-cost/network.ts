/*
 * The namespace the packet-cost runs happen in, so that bpf_fib_lookup inside
 * BPF_PROG_TEST_RUN finds a route and a neighbour and the program takes its
 * full forwarding path (XDP_REDIRECT) instead of stopping at XDP_PASS.
 *   bc: faces clients   198.18.0.1/16, 2001:db8::1/64
 *   bb: faces backends  198.19.0.1/16, 2001:db8:1::1/48
 * Permanent neighbours: the three backends, and client addresses
 * 198.18.1.0-63 / 2001:db8::1:0-3f that the reply-path cases cycle through.
 */
import { tagged } from '@sluice/testbed/tag';
import { mustRun, runCommand } from '../processes.js';

/* SLUICE_BENCH_NAMESPACE: another name, so that two benches (e.g. a candidate build's packet costs) can run side by side. */
export const BENCH_NAMESPACE = process.env.SLUICE_BENCH_NAMESPACE ?? tagged('slbench');
export const CLIENT_FACING = 'bc';
export const BACKEND_FACING = 'bb';
/** Client addresses with a neighbour entry: the reply path can cycle over this many. */
export const CLIENT_NEIGHBOURS = 64;

const ip = (...args: string[]) => mustRun('ip', ['-n', BENCH_NAMESPACE, ...args]);
const mac = (prefix: string, n: number) => `${prefix}:${(n >> 8).toString(16).padStart(2, '0')}:${(n & 0xff).toString(16).padStart(2, '0')}`;

export async function benchNetworkDown(): Promise<void> {
  await runCommand('ip', ['netns', 'del', BENCH_NAMESPACE], 10_000);
}

export async function benchNetworkUp(): Promise<void> {
  await benchNetworkDown();
  await mustRun('ip', ['netns', 'add', BENCH_NAMESPACE]);
  await ip('link', 'set', 'lo', 'up');
  await ip('link', 'add', CLIENT_FACING, 'address', '02:00:00:be:0c:01', 'type', 'veth', 'peer', 'name', `${CLIENT_FACING}-peer`);
  await ip('link', 'add', BACKEND_FACING, 'address', '02:00:00:be:0b:01', 'type', 'veth', 'peer', 'name', `${BACKEND_FACING}-peer`);
  for (const link of [CLIENT_FACING, `${CLIENT_FACING}-peer`, BACKEND_FACING, `${BACKEND_FACING}-peer`]) await ip('link', 'set', link, 'up');
  await ip('addr', 'add', '198.18.0.1/16', 'dev', CLIENT_FACING);
  await ip('addr', 'add', '2001:db8::1/64', 'dev', CLIENT_FACING, 'nodad');
  await ip('addr', 'add', '198.19.0.1/16', 'dev', BACKEND_FACING);
  await ip('addr', 'add', '2001:db8:1::1/48', 'dev', BACKEND_FACING, 'nodad');
  await mustRun('ip', ['netns', 'exec', BENCH_NAMESPACE, 'sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);
  const batch: string[] = [];
  for (let i = 1; i <= 3; i++) {
    batch.push(`neigh replace 198.19.${i}.2 lladdr ${mac('02:00:00:be', 0xb000 + i)} dev ${BACKEND_FACING} nud permanent`);
    batch.push(`neigh replace 2001:db8:1:${i}::2 lladdr ${mac('02:00:00:be', 0xb000 + i)} dev ${BACKEND_FACING} nud permanent`);
  }
  for (let k = 0; k < CLIENT_NEIGHBOURS; k++) {
    batch.push(`neigh replace 198.18.1.${k} lladdr ${mac('02:00:00:be', 0xc000 + k)} dev ${CLIENT_FACING} nud permanent`);
    batch.push(`neigh replace 2001:db8::1:${k.toString(16)} lladdr ${mac('02:00:00:be', 0xc000 + k)} dev ${CLIENT_FACING} nud permanent`);
  }
  await mustRun('ip', ['-n', BENCH_NAMESPACE, '-batch', '-'], 30_000, `${batch.join('\n')}\n`);
}
