/*
 * The active/standby demo (issue 13), run by `scripts/demo.sh --ha`: a
 * client, two balancer nodes on one segment, each with its own agent, its own
 * keepalived (the shipped template, ops/keepalived/keepalived.conf.in) and
 * its own console, flow sync between the agents, and three backends, all in
 * namespaces (testbed/ha-pair.ts, as the tests run it). The client sends a
 * bounded stream of new connections to every VIP; every 10 s the demo prints
 * who holds the VIPs, each agent's role and sync state and lag, and how the
 * connections fared. Ctrl-C (SIGINT/SIGTERM) or DEMO_SECONDS ends it and
 * tears everything down.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentProcess } from '@sluice/testbed/agent-process';
import { apiClient } from '@sluice/testbed/api-client';
import { http } from '@sluice/testbed/client-traffic';
import { HTTP, LOWERED_PRIORITY, type Pair, PRIORITY, pairDown, pairUp, targets, vipHolder } from '@sluice/testbed/ha-pair';
import { runDemo, sleep, startConsole, step } from './demo-run.ts';

const PREFIX = 'slp';
const RUN_ROOT = '/run/sluice-demo-pair';
const SECONDS = Number(process.env.DEMO_SECONDS ?? 600);
const FIRST_CONSOLE_PORT = Number(process.env.CONSOLE_PORT ?? 3000);
const REPORT_EVERY_MS = 10_000;
/* Light and bounded: one new connection per VIP a second. */
const CONNECTIONS_PER_VIP = 1;

let pair: Pair | undefined;
const consoles: ChildProcess[] = [];

async function tearDown(): Promise<void> {
  step('tearing the demo down');
  for (const child of consoles) if (child.exitCode === null) child.kill('SIGTERM');
  await pairDown(pair, PREFIX);
  rmSync(RUN_ROOT, { recursive: true, force: true });
}

/** One line per node: its role, sync state, lag and split-brain verdict, as its agent reports them. */
async function nodeLines(): Promise<string[]> {
  return Promise.all(
    [...pair!.nodes].map(async ([name, p]) => {
      try {
        const status = await apiClient(p.network).node.status.query();
        const sync = status.sync;
        const lag = sync?.lag.samples ? `lag p50 ${sync.lag.p50Ms} ms, p99 ${sync.lag.p99Ms} ms` : 'no change synced yet';
        const split = sync?.splitBrain.yielding ? '; YIELDING after a split brain' : '';
        return `${name}: ${status.vrrp?.role ?? 'no role'}; sync ${sync?.state ?? 'off'} (${lag})${split}`;
      } catch (error) {
        return `${name}: agent not answering (${(error as Error).message})`;
      }
    }),
  );
}

async function main(stopping: () => boolean): Promise<void> {
  rmSync(RUN_ROOT, { recursive: true, force: true });
  mkdirSync(RUN_ROOT, { recursive: true });
  const passwords = new Map<string, string>();
  const agentArgs = (name: string) => {
    const file = join(RUN_ROOT, `${name}.password`);
    if (!passwords.has(name)) {
      passwords.set(name, randomBytes(12).toString('base64url'));
      writeFileSync(file, `${passwords.get(name)}\n`, { mode: 0o600 });
    }
    return ['--admin-password-file', file];
  };
  step(`building the network, starting both agents (flow sync between them) and keepalived on each (namespaces ${PREFIX}-*)`);
  pair = await pairUp(PREFIX, RUN_ROOT, { agentArgs });
  step('starting one console per node');
  const names = [...pair.nodes.keys()];
  names.forEach((name, k) => consoles.push(startConsole(pair!.nodes.get(name)!.network, FIRST_CONSOLE_PORT + k)));

  const n1 = pair.nodes.get('n1')!;
  const { socket, tokenFile } = AgentProcess.paths(n1.network);
  const flags = `--socket ${socket} --token-file ${tokenFile}`;
  process.stderr.write(
    [
      '',
      ...names.map(
        (name, k) =>
          `  ${name}: console http://127.0.0.1:${FIRST_CONSOLE_PORT + k}  user admin, password ${passwords.get(name)} (shown once); Node page: role and flow sync`,
      ),
      `  VIPs: ${targets(pair.ha)
        .map((t) => `${t.vip} (${t.algorithm}, ${t.mode})`)
        .join(', ')}, port ${HTTP}`,
      `  From the client: ip netns exec ${pair.ha.client.namespace} curl -s http://${pair.ha.vips[0]}:${HTTP}/`,
      `  n1's role and sync: node apps/agent/bin/sluice.mjs node status ${flags}`,
      `  A planned switchover (n1's priority ${PRIORITY.n1} -> ${LOWERED_PRIORITY}; n2 takes the VIPs, no connection breaks):`,
      `    sed -i 's/priority ${PRIORITY.n1}/priority ${LOWERED_PRIORITY}/' ${n1.keepalived!.config} && kill -HUP $(cat ${n1.keepalived!.pidFile})`,
      `    and back: sed -i 's/priority ${LOWERED_PRIORITY}/priority ${PRIORITY.n1}/' ${n1.keepalived!.config} && kill -HUP $(cat ${n1.keepalived!.pidFile})`,
      `  Stop the demo: Ctrl-C (or it ends after ${SECONDS} s)`,
      '',
    ].join('\n'),
  );

  const deadline = Date.now() + SECONDS * 1000;
  let nextReport = Date.now() + REPORT_EVERY_MS;
  let answered = 0;
  let failed = 0;
  while (!stopping() && Date.now() < deadline) {
    const started = Date.now();
    const reports = await Promise.all(targets(pair.ha).map((t) => http(pair!.ha.client, t.vip, HTTP, { count: CONNECTIONS_PER_VIP })));
    for (const r of reports) {
      answered += r.succeeded;
      failed += r.failed;
    }
    if (Date.now() >= nextReport) {
      const { holders } = await vipHolder(pair);
      process.stdout.write(
        `${new Date().toISOString()}  VIPs on ${holders.join(' + ') || 'nobody'}; last 10 s: ${answered} answered, ${failed} failed\n` +
          `${(await nodeLines()).map((line) => `    ${line}`).join('\n')}\n`,
      );
      answered = 0;
      failed = 0;
      nextReport = Date.now() + REPORT_EVERY_MS;
    }
    await sleep(Math.max(0, 1000 - (Date.now() - started)));
  }
}

runDemo(main, tearDown);
