/*
 * A test-only agent driver, run inside the LB namespace. It owns the data
 * plane the way the agent does (startDataplane: load, adopt pins, attach;
 * Reconciler: desired state -> maps; teardownDataplane: detach, unpin) and
 * takes commands as JSON lines on stdin, answering each with one JSON line:
 *   {"apply": config, "down": ["198.19.2.2:8080"]} -> {"ok":true,"report":...}
 *   {"active": true} -> {"ok":true,"active":{"<service>":{"<endpoint>":n}}}
 *   {"counters": true} -> {"ok":true,"counters":{"flow_new":n,...}} (global, summed over CPUs)
 *   {"stop": true}   -> {"ok":true}, then detaches and exits
 * "down" is the health view, passed to Reconciler.apply exactly as the
 * agent passes its health checker's: a listed endpoint is down in every
 * service that names it. Closing stdin (the test died) or SIGTERM also
 * stops it and detaches.
 *
 * Why not the Agent class itself: the Agent now keeps desired state in its
 * SQLite store and reconciles from there, so driving its reconciler from
 * outside would race its own reconciles; and these tests are about the data
 * plane, which needs neither the store nor its native module. The real
 * `sluice agent` is exercised end to end by cli-agent.test.ts.
 *
 *   ip netns exec <prefix>-lb node --import tsx harness.ts --interfaces cli0,be1 --pin-dir DIR
 *     [--flow-table-size N] [--half-open-table-size N]   (small tables: a bounded flood fills them)
 */
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { dataplaneConfigSchema, DEFAULT_MAX_BACKENDS_PER_SERVICE } from '../../../packages/api/src/index.ts';
import { startDataplane, teardownDataplane, type DataplaneOwnerOptions } from '../../../apps/agent/src/operations/dataplane-owner.ts';
import { Reconciler } from '../../../apps/agent/src/reconcile/reconciler.ts';
import { SluiceCounter } from '../../../apps/agent/src/dataplane/generated/layout.ts';

/* The object `make -C bpf` builds, the one `sluice agent` loads by default. */
const OBJECT_PATH = fileURLToPath(new URL('../../../bpf/build/sluice.bpf.o', import.meta.url));

const { values } = parseArgs({
  options: {
    interfaces: { type: 'string' },
    'pin-dir': { type: 'string' },
    'flow-table-size': { type: 'string' },
    'half-open-table-size': { type: 'string' },
  },
  strict: true,
});
if (!values.interfaces || !values['pin-dir']) {
  process.stderr.write('usage: harness.ts --interfaces IF[,IF...] --pin-dir DIR\n');
  process.exit(2);
}

const answer = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);

const owner: DataplaneOwnerOptions = {
  objectPath: OBJECT_PATH,
  pinDir: values['pin-dir'],
  interfaces: values.interfaces.split(','),
  xdpMode: 'native',
  maxEntries: {
    ...(values['flow-table-size'] ? { flows: Number(values['flow-table-size']) } : {}),
    ...(values['half-open-table-size'] ? { half_open_flows: Number(values['half-open-table-size']) } : {}),
  },
};
let dataplane: ReturnType<typeof startDataplane>;
let reconciler: Reconciler;
try {
  dataplane = startDataplane(owner);
  reconciler = new Reconciler(dataplane.maps, Reconciler.limitsOf(dataplane.maps, DEFAULT_MAX_BACKENDS_PER_SERVICE));
  reconciler.adopt();
} catch (error) {
  answer({ error: `data plane did not start: ${(error as Error).message}` });
  teardownDataplane(owner);
  process.exit(1);
}

let stopped = false;
function stop(): void {
  if (stopped) return;
  stopped = true;
  dataplane.close();
  teardownDataplane(owner);
}

/* The data plane's live count of open flows per backend, as least-connections sees it. */
function activeFlows(): Record<string, Record<string, number>> {
  const result: Record<string, Record<string, number>> = {};
  for (const [service, { backends }] of reconciler.ids()) {
    const counts: Record<string, number> = {};
    for (const [endpoint, id] of backends) counts[endpoint] = Number(dataplane.maps.backendActive.lookup(id) ?? 0n);
    result[service] = counts;
  }
  return result;
}

/* Global counters by name (flow_new, flow_half_open, ...), summed over CPUs. */
function counters(): Record<string, number> {
  const result: Record<string, number> = {};
  for (const [name, index] of Object.entries(SluiceCounter)) {
    if (name !== 'CNT_MAX') result[name.replace(/^CNT_/, '').toLowerCase()] = Number(dataplane.maps.globalCounters.lookupSum(index) ?? 0n);
  }
  return result;
}

function handle(line: string): object {
  const command = JSON.parse(line) as { apply?: unknown; down?: string[]; active?: boolean; counters?: boolean; stop?: boolean };
  if (command.stop) {
    stop();
    return { ok: true };
  }
  if (command.apply !== undefined) {
    const config = dataplaneConfigSchema.parse(command.apply);
    const down = new Set(command.down ?? []);
    const report = reconciler.apply(config, (_service, endpoint) => !down.has(endpoint));
    return { ok: true, report };
  }
  if (command.active) return { ok: true, active: activeFlows() };
  if (command.counters) return { ok: true, counters: counters() };
  throw new Error('unknown command: expected "apply", "active", "counters" or "stop"');
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (!line.trim()) return;
  try {
    answer(handle(line));
  } catch (error) {
    answer({ error: (error as Error).message });
  }
  if (stopped) lines.close();
});
lines.on('close', () => {
  stop();
  process.exit(0);
});
process.once('SIGTERM', () => lines.close());
answer({ ready: true, pid: process.pid });
