// Prints what the data plane is doing, from its pinned maps: per backend,
// new flows and packets in the last interval, and the open flows.
import { openPinnedMaps } from '@sluice/dataplane';
import { bytesToAddress } from '@sluice/dataplane';

const pinDir = process.argv[2] ?? '/run/sluice/bpf';
const intervalMs = 2000;
const { maps } = openPinnedMaps(pinDir);
const last = new Map<number, { packets: bigint; newFlows: bigint }>();

function report(): void {
  const vips = new Map<number, string>();
  for (const [key, config] of maps.services.entries())
    vips.set(config.id, `${bytesToAddress(key.family, key.addr)}:${key.port}/${key.protocol === 6 ? 'tcp' : 'udp'}`);
  const lines: string[] = [];
  for (const [id, backend] of maps.backends.entries()) {
    if (backend.family === 0) continue;
    const counters = maps.backendCounters.lookupSum(id);
    if (!counters) continue;
    const before = last.get(id) ?? { packets: counters.packets, newFlows: counters.new_flows };
    last.set(id, { packets: counters.packets, newFlows: counters.new_flows });
    const service = vips.get(backend.service_id) ?? `service ${backend.service_id}`;
    const endpoint = `${bytesToAddress(backend.family, backend.addr)}:${backend.port}`;
    lines.push(
      `${service.padEnd(26)} ${endpoint.padEnd(24)} new flows ${String(counters.new_flows - before.newFlows).padStart(4)}` +
        `  packets ${String(counters.packets - before.packets).padStart(5)}  open ${maps.backendActive.lookup(id) ?? 0n}`,
    );
  }
  process.stdout.write(`\n${new Date().toISOString()}  last ${intervalMs / 1000} s\n${lines.join('\n')}\n`);
}

report();
setInterval(report, intervalMs);
