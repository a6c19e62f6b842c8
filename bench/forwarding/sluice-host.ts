/*
 * Hosts the Sluice data plane in the LB namespace for the forwarding runs:
 *   node --import tsx sluice-host.ts '{"interfaces":[...],"config":{...},"readyFile":"..."}'
 * Loads the program (no pins), writes the ipip outer source when given,
 * applies the services with the agent's Reconciler, attaches natively to every interface, and on SIGTERM prints the
 * global counters and detaches. This is the agent's own data-plane path
 * (loadDataplane + Reconciler + attach) without the parts being rebuilt
 * around it while this bench is written.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dataplaneConfigSchema } from '@sluice/api';
import { SluiceCounter, addressToBytes, loadDataplane } from '@sluice/dataplane';
import { Reconciler } from '@sluice/agent/reconciler';

interface HostRequest {
  interfaces: string[];
  config: unknown;
  readyFile: string;
  /** The ipip/gue outer IPv4 source: an address of the LB the backends route back to (the agent's --tunnel-source4). */
  tunnelSource4?: string;
}

const request = JSON.parse(process.argv[2]!) as HostRequest;
const OBJECT = fileURLToPath(new URL('../../bpf/build/sluice.bpf.o', import.meta.url));
const dp = loadDataplane({ objectPath: OBJECT });
const attached: string[] = [];
/* Whatever happens, no program stays behind on the interfaces. */
function detachAll(): void {
  for (const ifname of attached.splice(0)) {
    try {
      dp.detach(ifname);
    } catch (error) {
      process.stderr.write(`detach ${ifname}: ${(error as Error).message}\n`);
    }
  }
}

try {
  if (request.tunnelSource4) {
    const source4 = addressToBytes(request.tunnelSource4).bytes.readUInt32BE(0);
    dp.maps.tunnelSettings.update(0, { source4, source6: Buffer.alloc(16), gue_port: 0, source4_hash_bits: 0, source6_hash_bits: 0 });
  }
  new Reconciler(dp.maps, Reconciler.limitsOf(dp.maps, 1024)).apply(dataplaneConfigSchema.parse(request.config));
  for (const ifname of request.interfaces) {
    dp.attach(ifname, 'native');
    attached.push(ifname);
  }
  writeFileSync(request.readyFile, `${process.pid}\n`);
} catch (error) {
  detachAll();
  throw error;
}

/* A hard cap too: the host never outlives a forgotten bench by more than 30 minutes. */
const cap = setTimeout(() => process.kill(process.pid, 'SIGTERM'), 30 * 60_000);
process.once('SIGTERM', () => {
  clearTimeout(cap);
  const counters = Object.fromEntries(
    Object.entries(SluiceCounter)
      .filter(([name]) => name !== 'CNT_MAX')
      .map(([name, id]) => [name, Number(dp.maps.globalCounters.lookupSum(id) ?? 0n)])
      .filter(([, count]) => count !== 0),
  );
  detachAll();
  dp.close();
  process.stdout.write(`${JSON.stringify(counters)}\n`);
  process.exit(0);
});
