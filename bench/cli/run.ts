/*
 * How long a `sluice` call takes from the shell (issue 15: a call that talks
 * to the agent returns in under 200 ms), beside `node -e 0` in the same run:
 * the real agent in a namespace of its own, the CLI run as an operator runs it
 * (a new process per call, the compiled build through bin/sluice.mjs), the
 * commands interleaved so load from other work falls on all of them alike.
 * Bounded: --runs calls of each, each killed after 30 s. Needs GNU time
 * (/usr/bin/time) for the CPU time of each call.
 *
 *   node --import tsx bench/cli/run.ts [--runs 21] [--label after] [--out bench/cli/measured-after.json]
 *        [--before /path/to/older/checkout]   (its compiled build is timed too, against the same agent)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median, percentile, round } from '../stats.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '21' },
    label: { type: 'string', default: '' },
    out: { type: 'string' },
    /* Another checkout (e.g. the commit before a change, built): its `sluice` is timed beside this one's, in the same run. */
    before: { type: 'string' },
  },
});
const RUNS = Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 1 || RUNS > 200) throw new Error(`--runs must be 1..200, not "${values.runs}"`);
const CALL_TIMEOUT_MS = 30_000;
const GNU_TIME = '/usr/bin/time';
const CPU_MARK = 'sluice-bench-cpu ';

process.env.SLUICE_BENCH_NAMESPACE ??= `slcli${process.env.SLUICE_TEST_TAG ?? ''}`;
const { BACKEND_FACING, BENCH_NAMESPACE, CLIENT_FACING, benchNetworkDown, benchNetworkUp } = await import('../packet-cost/network.js');
const { cleanBpffs, prepareBpffs, startAgent, stopAgent } = await import('../sluice-agent.js');

const SLUICE = fileURLToPath(new URL('../../apps/agent/bin/sluice.mjs', import.meta.url));
const SERVICE = '198.18.100.1:80/tcp';
/* One service with three backends and no health check (nothing listens behind them here). */
const CONFIG = {
  services: [
    {
      address: '198.18.100.1',
      port: 80,
      protocol: 'tcp',
      algorithm: 'maglev',
      healthCheck: { type: 'none' },
      backends: [1, 2, 3].map((i) => ({ address: `198.19.${i}.2`, port: 8080 })),
    },
  ],
};

/*
 * One call: its wall time (spawn to exit, what an operator waits) and its CPU
 * time (user + system, from GNU time), which other work on the machine
 * stretches far less than the wall time, so runs at different loads compare.
 */
function timeOnce(args: string[]): { wallMs: number; cpuMs: number } {
  const start = process.hrtime.bigint();
  const run = spawnSync(GNU_TIME, ['-f', `${CPU_MARK}%U %S`, process.execPath, ...args], { encoding: 'utf8', timeout: CALL_TIMEOUT_MS });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (run.status !== 0) throw new Error(`node ${args.join(' ')}: exit ${run.status ?? run.signal}\n${run.stderr}`);
  const [user, system] = run.stderr
    .slice(run.stderr.lastIndexOf(CPU_MARK) + CPU_MARK.length)
    .trim()
    .split(' ')
    .map(Number);
  return { wallMs, cpuMs: (user! + system!) * 1000 };
}

const summary = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { medianMs: round(median(sorted)), minMs: round(sorted[0]!), p90Ms: round(percentile(sorted, 90)), maxMs: round(sorted.at(-1)!) };
};

prepareBpffs();
await benchNetworkUp();
let agent: Awaited<ReturnType<typeof startAgent>> | undefined;
try {
  agent = await startAgent(BENCH_NAMESPACE, [CLIENT_FACING, BACKEND_FACING], CONFIG);
  const connection = ['--socket', agent.socket, '--token-file', agent.tokenFile];
  const cases: Record<string, string[]> = {
    'node -e 0': ['-e', '0'],
    'sluice --help': [SLUICE, '--help'],
    'sluice service ls': [SLUICE, 'service', 'ls', ...connection],
    [`sluice backend ls ${SERVICE}`]: [SLUICE, 'backend', 'ls', SERVICE, ...connection],
  };
  if (values.before) {
    const older = join(values.before, 'apps/agent/bin/sluice.mjs');
    cases['before: sluice --help'] = [older, '--help'];
    cases['before: sluice service ls'] = [older, 'service', 'ls', ...connection];
    cases[`before: sluice backend ls ${SERVICE}`] = [older, 'backend', 'ls', SERVICE, ...connection];
  }
  /* The calls must work before they are timed: the service and its backends are listed. */
  const listed = spawnSync(process.execPath, [SLUICE, 'backend', 'ls', SERVICE, ...connection], { encoding: 'utf8', timeout: CALL_TIMEOUT_MS });
  if (listed.status !== 0 || !listed.stdout.includes('198.19.3.2:8080'))
    throw new Error(`backend ls did not list the backends:\n${listed.stdout}${listed.stderr}`);
  const samples: Record<string, { wallMs: number; cpuMs: number }[]> = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
  for (const args of Object.values(cases)) timeOnce(args); /* warm the page cache */
  for (let i = 0; i < RUNS; i++) for (const [name, args] of Object.entries(cases)) samples[name]!.push(timeOnce(args));
  const results = Object.fromEntries(
    Object.entries(samples).map(([name, s]) => [name, { runs: s.length, wall: summary(s.map((x) => x.wallMs)), cpu: summary(s.map((x) => x.cpuMs)) }]),
  );
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  const dirty = execFileSync('git', ['status', '--porcelain', '--', 'apps/agent/src', 'packages'], { encoding: 'utf8' }).trim() !== '';
  const json = `${JSON.stringify(
    {
      label: values.label,
      before: values.before ?? null,
      commit: dirty ? `${commit}+uncommitted` : commit,
      measuredAt: new Date().toISOString(),
      what: 'a whole `sluice` process from the root namespace, the agent in its own namespace, compiled build: wall time (spawn to exit) and CPU time (user + system, 10 ms resolution)',
      loadAverage: (await import('node:os')).loadavg().map((l) => round(l, 3)),
      node: process.version,
      results,
    },
    null,
    2,
  )}\n`;
  if (values.out) writeFileSync(values.out, json);
  process.stdout.write(json);
} finally {
  await stopAgent(agent);
  await benchNetworkDown();
  cleanBpffs();
}
