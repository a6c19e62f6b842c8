/*
 * One fleet node in a process of its own (a real HealthChecker, real maps,
 * real etcd client), so a test can SIGKILL it: a dead node, not a clean stop
 * that hands its roles over. Prints one JSON line when started
 * ({ ready, pinDir, dataDir }: the test cleans them up after the kill), then one
 * per health flip it applies ({ change, eligible, table, row }: what its API and its maps say then).
 *
 *   node --import tsx fleet-node-process.ts ETCD_SOCKET NODE_NAME
 */
import { HealthChecker } from '@sluice/agent/health';
import { startTestAgent } from '@sluice/agent/test-agent';
import { fleetOption, tableEndpoints } from './fleet.ts';

const [socket, node] = process.argv.slice(2);
if (!socket || !node) throw new Error('usage: fleet-node-process.ts ETCD_SOCKET NODE_NAME');

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
const bed = { dir: '', etcd: { socket } } as unknown as Parameters<typeof fleetOption>[0];
const t = await startTestAgent(undefined, new HealthChecker(), { fleet: fleetOption(bed, { node }) });
t.agent.onHealthChange((change) => {
  /* After the agent's own listener has reconciled (it was registered first). */
  void (async () => {
    const viewer = t.as('viewer');
    const detail = await viewer.services.get({ service: change.service });
    const row = (await viewer.health.list({ service: change.service })).find((h) => h.endpoint === change.endpoint);
    const eligible = detail.backends.filter((b) => b.eligible).map((b) => b.endpoint);
    const table = tableEndpoints(t, change.service);
    print({ t: Date.now(), change: { service: change.service, endpoint: change.endpoint, up: change.up }, eligible, table, row });
  })();
});
print({ ready: node, pinDir: t.pinDir, dataDir: t.dataDir });
const stop = () => {
  t.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
