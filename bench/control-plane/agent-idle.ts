/*
 * The idle agent's CPU and memory, read from /proc (goal: < 2 % of a core,
 * < 150 MB): the real agent (`sluice agent`) on the forwarding testbed's LB
 * namespace, attached to its interfaces, with a few services whose backends
 * are the testbed's live HTTP servers, so its health checks succeed; its
 * conntrack GC, stats sampler and API socket run as in production. No
 * traffic, no API calls while it is observed. Then the same again with the
 * console open on its overview (console/measure.ts): the agent then serves
 * the overview's live-stats subscription and polls through the console.
 */
import { readFileSync } from 'node:fs';
import { type BenchRecord, againstGoal, notMeasured } from '../record.js';
import { sleep } from '../processes.js';
import { cleanBpffs, prepareBpffs, startAgent, stopAgent, type AgentHandle } from '../sluice-agent.js';
import { withOverviewOpen } from '../console/measure.js';
import { CONSOLE_PASSWORD } from '../console/server.js';

const CLOCK_TICKS = 100; /* USER_HZ on Linux */
/*
 * Start-up is not idling: imports, JIT compiling and the garbage collections
 * that follow, first probes, the first sweep. It tails off over ~15-20 s
 * (consecutive 30 s windows from start measured 2.0 % then 0.8 % of a core).
 */
const SETTLE_MS = 15_000;
/* The console's first fetches and its stream's start, after it opens on an agent that has settled already. */
const CONSOLE_SETTLE_MS = 3_000;

/** utime + stime of the whole process (all threads: the conntrack worker too), in ticks. */
export function cpuTicks(pid: number): number {
  /* Fields after the command name: utime and stime are the 12th and 13th. */
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

export function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

/** The process's CPU (all threads) over the next `seconds`, in % of a core. */
export async function cpuPercentOver(pid: number, seconds: number): Promise<number> {
  const startTicks = cpuTicks(pid);
  const start = Date.now();
  await sleep(seconds * 1000);
  return ((cpuTicks(pid) - startTicks) / CLOCK_TICKS / ((Date.now() - start) / 1000)) * 100;
}

/** variant: a path segment for a second setup of the same goals, e.g. "with-console-open" (control-plane/agent-idle/<variant>/cpu). */
export async function measureAgentIdle(pid: number, seconds: number, setup: string, variant?: string): Promise<BenchRecord[]> {
  const base = variant ? `control-plane/agent-idle/${variant}` : 'control-plane/agent-idle';
  const cpu = await cpuPercentOver(pid, seconds);
  const rss = rssMb(pid);
  const note = `${setup}; BPF map memory is kernel memory, not in RSS`;
  return [
    againstGoal(
      'control-plane',
      `${base}/cpu`,
      '% of a core',
      2,
      cpu,
      `utime+stime from /proc/<pid>/stat over ${seconds} s (after ${SETTLE_MS / 1000} s to settle), 10 ms ticks; ${note}`,
      3,
    ),
    againstGoal('control-plane', `${base}/rss`, 'MB', 150, rss, `VmRSS from /proc/<pid>/status at the end of the ${seconds} s; ${note}`),
  ];
}

/** What the idle agent serves on the testbed: HTTP and TCP checks against the live backends, and a UDP service. */
function idleConfig(vip: string, httpPort: number, udpPort: number, backends: string[]) {
  const pool = (port: number) => backends.map((address) => ({ address, port }));
  return {
    services: [
      { address: vip, port: httpPort, protocol: 'tcp', algorithm: 'maglev', healthCheck: { type: 'http', path: '/' }, backends: pool(httpPort) },
      { address: vip, port: httpPort + 1, protocol: 'tcp', algorithm: 'least-connections', healthCheck: { type: 'tcp' }, backends: pool(httpPort) },
      { address: vip, port: udpPort, protocol: 'udp', algorithm: 'round-robin', backends: pool(udpPort) },
    ],
  };
}

export interface IdleTestbed {
  namespace: string;
  interfaces: string[];
  vip: string;
  httpPort: number;
  udpPort: number;
  backends: string[];
}

/** Starts the agent on the testbed's LB, lets it idle, stops it; never throws (a failure is a "not measured"). */
export async function measureIdleAgentOnTestbed(bed: IdleTestbed, seconds: number, log: (m: string) => void): Promise<BenchRecord[]> {
  let agent: AgentHandle | undefined;
  try {
    prepareBpffs();
    agent = await startAgent(bed.namespace, bed.interfaces, idleConfig(bed.vip, bed.httpPort, bed.udpPort, bed.backends), { adminPassword: CONSOLE_PASSWORD });
    await sleep(SETTLE_MS);
    const health = await agent
      .client()
      .health.list.query({})
      .catch(() => undefined);
    log(`idle agent in ${bed.namespace} for ${seconds} s`);
    const setup = `the agent in the testbed's LB namespace (${bed.namespace}), XDP attached to ${bed.interfaces.join(', ')}, 3 services (HTTP and TCP health checks every 2 s against the ${bed.backends.length} live backends, one UDP), conntrack GC, 1 s stats sampler and API socket running, no traffic`;
    const records = await measureAgentIdle(agent.pid, seconds, `${setup}, no API calls${describeHealth(health)}`);
    records.push(...(await withConsoleOpen(agent, seconds, setup, log)));
    return records;
  } catch (error) {
    const reason =
      (error as Error).message
        .split('\n')
        .filter((l) => /sluice:|error/i.test(l))
        .join(' ') || (error as Error).message.split('\n')[0]!;
    return [
      notMeasured('control-plane', 'control-plane/agent-idle/cpu', '% of a core', `the agent did not run on the testbed: ${reason}`),
      notMeasured('control-plane', 'control-plane/agent-idle/rss', 'MB', `the agent did not run on the testbed: ${reason}`),
      ...consoleOpenNotMeasured(`the agent did not run on the testbed: ${reason}`),
    ];
  } finally {
    await stopAgent(agent);
    cleanBpffs();
  }
}

const consoleOpenNotMeasured = (reason: string) => [
  notMeasured('control-plane', 'control-plane/agent-idle/with-console-open/cpu', '% of a core', reason),
  notMeasured('control-plane', 'control-plane/agent-idle/with-console-open/rss', 'MB', reason),
];

/** The same agent, the same idle window, with the console open on its overview; never throws. */
async function withConsoleOpen(agent: AgentHandle, seconds: number, setup: string, log: (m: string) => void): Promise<BenchRecord[]> {
  try {
    const { result, liveSamples } = await withOverviewOpen(
      agent.socket,
      async (consoleOpen) => {
        await sleep(CONSOLE_SETTLE_MS);
        log(`idle agent with the console open for ${seconds} s`);
        return measureAgentIdle(
          agent.pid,
          seconds,
          `${setup}; ${consoleOpen}, opened after the window above (${CONSOLE_SETTLE_MS / 1000} s more to settle)`,
          'with-console-open',
        );
      },
      log,
    );
    for (const r of result) r.note = `${r.note}; the open overview received ${liveSamples} live samples while observed`;
    return result;
  } catch (error) {
    log(`idle agent with the console open failed: ${(error as Error).stack}`);
    return consoleOpenNotMeasured(`failed: ${(error as Error).message.split('\n')[0]}`);
  }
}

function describeHealth(health: unknown): string {
  if (!Array.isArray(health)) return '';
  const checked = (health as Array<{ checkType: string; up: boolean; lastCheckAt: number | null }>).filter((b) => b.checkType !== 'none');
  if (!checked.length) return '';
  return `; ${checked.filter((b) => b.up).length} of ${checked.length} health-checked backends up, ${checked.filter((b) => b.lastCheckAt !== null).length} probed, when the observation began`;
}
