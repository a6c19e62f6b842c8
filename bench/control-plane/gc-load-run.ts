/*
 * Not part of `pnpm bench` (which runs the same figures in its control-plane
 * section): `node --import tsx bench/control-plane/gc-load-run.ts [--seconds N]`
 * as root, the agent with a million flows alone (its GC's CPU with nobody
 * paging, then a few pages of the connection table and its memory), printed
 * as JSON, to try a change.
 */
import { parseArgs } from 'node:util';
import { benchNetworkDown, benchNetworkUp, BACKEND_FACING, BENCH_NAMESPACE, CLIENT_FACING } from '../packet-cost/network.js';
import { cleanBpffs, prepareBpffs, startAgent, stopAgent, type AgentHandle } from '../sluice-agent.js';
import { PAGE_FLOW_TABLE_SIZE } from './connection-page.js';
import { agentConfig } from './index.js';
import { measureMillionFlows } from './million-flows.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '75' }, pages: { type: 'string', default: '5' } } });
const log = (m: string) => process.stderr.write(`[gc-load] ${m}\n`);
let agent: AgentHandle | undefined;
try {
  await benchNetworkUp();
  prepareBpffs();
  agent = await startAgent(BENCH_NAMESPACE, [CLIENT_FACING, BACKEND_FACING], agentConfig(), { flowTableSize: PAGE_FLOW_TABLE_SIZE });
  const records = await measureMillionFlows(agent, agent.client(), { gcSeconds: Number(values.seconds), pages: Number(values.pages) }, log);
  process.stdout.write(`${JSON.stringify(records, null, 1)}\n`);
} finally {
  await stopAgent(agent);
  await benchNetworkDown();
  cleanBpffs();
}
