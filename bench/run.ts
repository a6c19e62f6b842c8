/*
 * pnpm bench [--quick] [--only packet-cost,control-plane,forwarding]
 *
 * Measures Sluice the way its users would judge it, always beside a
 * reference measured in the same run: per-packet cost against the empty XDP
 * program, forwarding against plain routing, nftables and HAProxy, and the
 * control plane against the goals of issue 5. Writes bench/results/latest.
 * {json,md,svg} and prints the table. Every namespace it makes is its own
 * (slbench, slbn-*) and is removed at the end, on failure and on Ctrl-C too,
 * as are the console servers (127.0.0.1:3917) and browsers it starts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { BENCH_USAGE, benchOptions } from './options.js';
import { type BenchRecord, type Section, notMeasured } from './record.js';
import { benchNetworkDown, benchNetworkUp } from './packet-cost/network.js';
import { runPacketCost } from './packet-cost/index.js';
import { runControlPlane } from './control-plane/index.js';
import { runForwarding } from './forwarding/index.js';
import { forwardingNetworkDown } from './forwarding/network.js';
import { scenariosCleanup } from './forwarding/scenarios.js';
import { stopAllNginx } from './forwarding/nginx.js';
import { bpfStatsRestore, pairLiveWithTestRun } from './forwarding/live-cost.js';
import { cleanBpffs, prepareBpffs } from './sluice-agent.js';
import { resultsTable } from './report/markdown.js';
import { writeResults } from './report/write.js';
import { consoleBuildSeconds, prepareConsole, stopAllConsoles } from './console/server.js';

let parsed: ReturnType<typeof benchOptions>;
try {
  parsed = benchOptions(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`pnpm bench: ${(err as Error).message}\n`);
  process.exit(2);
}
if (parsed === 'help') {
  process.stdout.write(`${BENCH_USAGE}\n`);
  process.exit(0);
}
const options = parsed;
const started = Date.now();
const log = (message: string) => process.stderr.write(`[bench +${((Date.now() - started) / 1000).toFixed(0)}s] ${message}\n`);
const ROOT = fileURLToPath(new URL('..', import.meta.url));

function prerequisites(): void {
  if (process.getuid?.() !== 0) throw new Error('pnpm bench needs root (namespaces, XDP, bpffs)');
  const missing = ['ip', 'ethtool', 'nft', 'wrk', 'haproxy', 'nginx', 'curl', 'clang'].filter((tool) => {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length) throw new Error(`missing tools: ${missing.join(', ')} (apt-get install -y wrk haproxy nginx curl nftables clang ethtool iproute2)`);
  execFileSync('make', ['-s', '-C', `${ROOT}bpf`], { stdio: 'inherit' });
  if (!existsSync(`${ROOT}bpf/build/sluice.bpf.o`)) throw new Error('bpf/build/sluice.bpf.o was not built');
}

async function teardown(): Promise<void> {
  await stopAllConsoles().catch((e: Error) => log(`console down: ${e.message}`));
  await scenariosCleanup(undefined).catch(() => {});
  await stopAllNginx().catch(() => {});
  try {
    bpfStatsRestore();
  } catch {
    /* never changed */
  }
  await forwardingNetworkDown().catch((e: Error) => log(`testbed down: ${e.message}`));
  await benchNetworkDown().catch(() => {});
  try {
    cleanBpffs();
  } catch {
    /* nothing pinned */
  }
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: tearing down`);
    void teardown().finally(() => process.exit(130));
  });
}

/** A section that fails leaves its figures as "not measured", with the reason, and the bench goes on. */
async function section(name: Section, run: () => Promise<BenchRecord[]>): Promise<BenchRecord[]> {
  const t = Date.now();
  try {
    const records = await run();
    log(`${name}: ${records.length} figures in ${((Date.now() - t) / 1000).toFixed(0)} s`);
    return records;
  } catch (error) {
    log(`${name} failed: ${(error as Error).stack ?? error}`);
    return [notMeasured(name, `${name}/section`, '', `the section failed: ${(error as Error).message.split('\n')[0]}`)];
  }
}

const wanted = (name: Section) => !options.only || options.only.includes(name);

async function main(): Promise<void> {
  prerequisites();
  /* Before anything is measured: a console build (when its sources changed) takes both CPUs for about a minute. */
  if (wanted('control-plane') || wanted('forwarding')) await prepareConsole(options.quick, started, log);
  const records: BenchRecord[] = [];
  if (wanted('packet-cost') || wanted('control-plane')) {
    try {
      await benchNetworkUp();
      prepareBpffs();
      if (wanted('packet-cost')) records.push(...(await section('packet-cost', () => runPacketCost(options, log))));
      if (wanted('control-plane')) records.push(...(await section('control-plane', () => runControlPlane(options, log))));
    } finally {
      await benchNetworkDown();
      cleanBpffs();
    }
  }
  if (wanted('forwarding')) records.push(...(await section('forwarding', () => runForwarding(options, log))));
  pairLiveWithTestRun(records);
  const order: Section[] = ['packet-cost', 'forwarding', 'control-plane'];
  records.sort((a, b) => order.indexOf(a.section) - order.indexOf(b.section));
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    /* not a checkout */
  }
  const info = {
    startedAt: new Date(started).toISOString(),
    seconds: (Date.now() - started) / 1000,
    quick: options.quick,
    kernel: release(),
    cpus: cpus().length,
    commit,
    baseline: options.baseline ?? null,
  };
  /* --only: goals of the sections not run say "not measured"; latest.* stays the last full run's. */
  const { goals, files } = writeResults(records, info, options.only ? `only-${options.only.join('-')}` : 'latest');
  process.stdout.write(
    `${resultsTable(records)}\n\nGoals:\n${goals
      .filter((g) => !options.only || records.some((r) => r.name === g.record))
      .map((g) => `- ${g.text}: ${g.verdict}`)
      .join(
        '\n',
      )}\n\nWrote ${files.join(', ')} in ${Math.round(info.seconds)} s${consoleBuildSeconds ? ` (${Math.round(consoleBuildSeconds)} s of it building the console)` : ''}\n`,
  );
}

main()
  .catch(async (error: Error) => {
    log(`bench failed: ${error.stack ?? error.message}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    if (!stopping) await teardown();
  });
