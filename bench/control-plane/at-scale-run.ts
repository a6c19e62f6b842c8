/*
 * Not part of `pnpm bench` (which runs the same figures in its control-plane
 * section): `node --import tsx bench/control-plane/at-scale-run.ts [--samples N]`
 * as root, the at-scale figures alone, printed as JSON, to try a change.
 */
import { parseArgs } from 'node:util';
import { benchNetworkDown, benchNetworkUp, BACKEND_FACING, BENCH_NAMESPACE, CLIENT_FACING } from '../packet-cost/network.js';
import { cleanBpffs, prepareBpffs } from '../sluice-agent.js';
import { measureAtScale } from './at-scale.js';

const { values } = parseArgs({ options: { samples: { type: 'string', default: '11' } } });
const log = (m: string) => process.stderr.write(`[at-scale] ${m}\n`);
try {
  await benchNetworkUp();
  prepareBpffs();
  const records = await measureAtScale(BENCH_NAMESPACE, [CLIENT_FACING, BACKEND_FACING], Number(values.samples), log);
  process.stdout.write(`${JSON.stringify(records, null, 1)}\n`);
} finally {
  await benchNetworkDown();
  cleanBpffs();
}
