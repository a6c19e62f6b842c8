/*
 * Not part of `pnpm bench` (which runs the same figures in its control-plane
 * section): `node --import tsx bench/control-plane/gc-load-run.ts [--seconds N]`
 * as root, the agent with a million flows alone (its GC's CPU with nobody
 * paging, then a few pages of the connection table and its memory), printed
 * as JSON, to try a change.
 */
import { parseArgs } from 'node:util';
import { againstGoal } from '../record.js';
import { benchNetworkDown, benchNetworkUp, BACKEND_FACING, BENCH_NAMESPACE, CLIENT_FACING } from '../packet-cost/network.js';
import { cleanBpffs, prepareBpffs, startAgent, stopAgent, type AgentHandle } from '../sluice-agent.js';
import { rssMb } from './agent-idle.js';
import { PAGE_FLOWS, PAGE_FLOW_TABLE_SIZE, measureConnectionPage, writePageFlows } from './connection-page.js';
import { measureGcLoad } from './gc-load.js';
import { RSS_WITH_FLOWS_GOAL_MB, agentConfig } from './index.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '75' }, pages: { type: 'string', default: '5' } } });
const log = (m: string) => process.stderr.write(`[gc-load] ${m}\n`);
let agent: AgentHandle | undefined;
try {
  await benchNetworkUp();
  prepareBpffs();
  agent = await startAgent(BENCH_NAMESPACE, [CLIENT_FACING, BACKEND_FACING], agentConfig(), { flowTableSize: PAGE_FLOW_TABLE_SIZE });
  const client = agent.client();
  const writeMs = await writePageFlows(client, log);
  const records = [await measureGcLoad(agent.pid, Number(values.seconds), PAGE_FLOWS)];
  const rssBeforePages = rssMb(agent.pid);
  records.push(...(await measureConnectionPage(client, Number(values.pages), writeMs, log)));
  records.push(
    againstGoal(
      'control-plane',
      'control-plane/agent-rss/with-1M-flows',
      'MB',
      RSS_WITH_FLOWS_GOAL_MB,
      rssMb(agent.pid),
      `VmRSS after the pages (${rssBeforePages.toFixed(1)} MB before them)`,
    ),
  );
  process.stdout.write(`${JSON.stringify(records, null, 1)}\n`);
} finally {
  await stopAgent(agent);
  await benchNetworkDown();
  cleanBpffs();
}
