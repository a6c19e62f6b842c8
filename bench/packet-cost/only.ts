/*
 * `tsx bench/packet-cost/only.ts [--quick]`: the packet-cost section alone,
 * printed as a table, for trying a change to the data plane quickly
 * (SLUICE_BENCH_CASES picks cases, SLUICE_BENCH_OBJECT a candidate build,
 * SLUICE_BENCH_NAMESPACE another namespace). Its namespace is removed at
 * the end, also on failure.
 */
import { benchOptions } from '../options.js';
import { benchNetworkDown, benchNetworkUp } from './network.js';
import { runPacketCost } from './index.js';

const options = benchOptions(process.argv.slice(2));
const log = (message: string) => process.stderr.write(`${message}\n`);
try {
  await benchNetworkUp();
  const records = await runPacketCost(options, log);
  for (const r of records) if (r.section === 'packet-cost') process.stdout.write(`${r.name}\t${r.value} ns\tx${r.ratio}\tspread ${r.spread}\n`);
} finally {
  await benchNetworkDown();
}
