/*
 * The UDP path's ceiling (udp-ceiling.bpf.c) on the LB's client link: built
 * for this network's VIP, port and backends, loaded with bpftool (pinned in
 * the bench's bpffs), its next hops written from the links' own MACs and
 * indexes, attached natively; detached and unpinned again by ceilingDown.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBpffs } from '@sluice/dataplane';
import { mustRun, mustRunIn, runCommand } from '../processes.js';
import { BENCH_PIN_DIR } from '../sluice-agent.js';
import { buildBenchBpf } from '../bpf-object.js';
import { UDP_PORT, VIPS, type BenchNetwork } from './network.js';

const SOURCE = fileURLToPath(new URL('./udp-ceiling.bpf.c', import.meta.url));
const CLIENT_LINK = 'cli0';
const pin = join(BENCH_PIN_DIR, 'udp-ceiling');

const ipv4Number = (address: string) => address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);

async function link(ns: string, ifname: string): Promise<{ ifindex: number; address: string }> {
  const { stdout } = await mustRun('ip', ['-n', ns, '-j', 'link', 'show', 'dev', ifname]);
  return (JSON.parse(stdout) as Array<{ ifindex: number; address: string }>)[0]!;
}

const macBytes = (mac: string) => mac.split(':');
const u32Bytes = (n: number) => [0, 8, 16, 24].map((shift) => ((n >>> shift) & 0xff).toString(16).padStart(2, '0'));

export async function ceilingUp(net: BenchNetwork): Promise<void> {
  const backends = net.topology.backends;
  const object = buildBenchBpf(SOURCE, [`CEILING_PORT=${UDP_PORT}`, `CEILING_VIP=${ipv4Number(VIPS.ceiling)}`, `CEILING_BACKENDS=${backends.length}`]);
  ensureBpffs(BENCH_PIN_DIR);
  removePins();
  await mustRunIn(net.lbNs, 'bpftool', ['prog', 'load', object, `${pin}-prog`, 'type', 'xdp', 'pinmaps', `${pin}-maps`]);
  for (const [slot, backend] of backends.entries()) {
    const out = await link(net.lbNs, backend.lb.interface);
    const backendMac = (await link(backend.namespace, backend.interface)).address;
    /* struct next_hop: ifindex (u32, little-endian), source MAC, destination MAC. */
    const value = [...u32Bytes(out.ifindex), ...macBytes(out.address), ...macBytes(backendMac)];
    await mustRun('bpftool', ['map', 'update', 'pinned', `${pin}-maps/next_hops`, 'key', 'hex', ...u32Bytes(slot), 'value', 'hex', ...value]);
  }
  await mustRunIn(net.lbNs, 'bpftool', ['net', 'attach', 'xdpdrv', 'pinned', `${pin}-prog`, 'dev', CLIENT_LINK]);
}

function removePins(): void {
  rmSync(`${pin}-prog`, { force: true });
  rmSync(`${pin}-maps`, { recursive: true, force: true });
}

/** Safe when ceilingUp did nothing or failed half-way. */
export async function ceilingDown(net: BenchNetwork | undefined): Promise<void> {
  if (net) await runCommand('ip', ['-n', net.lbNs, 'link', 'set', 'dev', CLIENT_LINK, 'xdp', 'off'], 10_000);
  removePins();
}
