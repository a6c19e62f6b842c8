/*
 * The several-node demo (issue 12), run by `scripts/demo.sh --nodes N`: a
 * client, a router running BIRD with ECMP over N balancer nodes, each with its
 * own agent, BIRD and console, and three dsr backends, all in namespaces. The
 * client sends a bounded stream of new connections; every 10 s the demo
 * prints which nodes the router uses and how many connections each took.
 * Ctrl-C (SIGINT/SIGTERM) or DEMO_SECONDS ends it and tears everything down.
 * With DEMO_ETCD=1 (`--nodes N --etcd`, issue 16) the nodes share one desired
 * state on an etcd the demo starts in a namespace of its own (data under the
 * run directory, a unix socket only): the service is added once, through n1,
 * and each report says "converged N of M at revision R". DEMO_CONSOLES=0 starts
 * no console (a quick run without building it).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { AgentProcess, sluiceJson, sluiceOk } from '@sluice/testbed/agent-process';
import { http } from '@sluice/testbed/client-traffic';
import { type Ecmp, ecmpDown, ecmpUp, routerNextHops } from '@sluice/testbed/ecmp';
import { type NodeAgent, startNodeAgent, stopNodeAgent } from '@sluice/testbed/ecmp-agent';
import { type EtcdServer, ensureEtcdNamespace, removeEtcdNamespace, startEtcd, stopEtcd } from '@sluice/testbed/etcd';
import { type FleetStatus, convergedLine } from '@sluice/api';
import { runDemo, sleep, startConsole, step } from './demo-run.ts';

const PREFIX = 'sln';
const RUN_ROOT = '/run/sluice-demo-nodes';
const NODES = Number(process.env.DEMO_NODES ?? 2);
const SECONDS = Number(process.env.DEMO_SECONDS ?? 600);
const FIRST_CONSOLE_PORT = Number(process.env.CONSOLE_PORT ?? 3000);
const SHARED_STORE = process.env.DEMO_ETCD === '1';
const CONSOLES = process.env.DEMO_CONSOLES !== '0';
const ETCD_NAMESPACE = `${PREFIX}-etcd`;
const REPORT_EVERY_MS = 10_000;
/* Light and bounded: a batch of new connections at most once a second, each from a new source port, so the router's hash spreads them. */
const CONNECTIONS_PER_SECOND = 10;

let ecmp: Ecmp | undefined;
let etcd: EtcdServer | undefined;
const agents: NodeAgent[] = [];
const consoles: ChildProcess[] = [];

async function tearDown(): Promise<void> {
  step('tearing the demo down');
  for (const child of consoles) if (child.exitCode === null) child.kill('SIGTERM');
  for (const agent of agents) await stopNodeAgent(agent);
  await ecmpDown({ prefix: PREFIX });
  if (etcd) await stopEtcd(etcd);
  if (SHARED_STORE) await removeEtcdNamespace(ETCD_NAMESPACE);
  rmSync(RUN_ROOT, { recursive: true, force: true });
}

async function newFlowsPerNode(service: string): Promise<number[]> {
  return Promise.all(
    agents.map(async (agent) => {
      if (!agent.agent.running) return 0;
      const stats = (await sluiceJson(agent.network, ['stats'])) as { services: { service: string; newFlows: number }[] };
      return stats.services.find((s) => s.service === service)?.newFlows ?? 0;
    }),
  );
}

/** The fleet as the first running node sees it: "converged N of M at revision R". */
async function fleetLine(): Promise<string> {
  const agent = agents.find((a) => a.agent.running);
  if (!agent) return 'no node running';
  const fleet = await sluiceJson<FleetStatus | null>(agent.network, ['fleet']).catch((error: Error) => error);
  if (fleet instanceof Error) return `fleet: ${fleet.message.split('\n')[0]}`;
  return fleet ? (fleet.reachable ? convergedLine(fleet) : `fleet store unreachable (${fleet.error})`) : 'no fleet';
}

async function main(stopping: () => boolean): Promise<void> {
  if (!Number.isInteger(NODES) || NODES < 2 || NODES > 3) throw new Error(`--nodes must be 2 or 3, not ${process.env.DEMO_NODES}`);
  rmSync(RUN_ROOT, { recursive: true, force: true });
  mkdirSync(RUN_ROOT, { recursive: true });
  step(`building the network: client, a BIRD router with ECMP, ${NODES} balancer nodes, 3 dsr backends (namespaces ${PREFIX}-*)`);
  ecmp = await ecmpUp({ prefix: PREFIX, nodes: NODES, backends: 3, log: (m) => process.stderr.write(`    ${m}\n`) });
  const vip = ecmp.vips.ipv4[0]!;
  const port = ecmp.backends[0]!.ports.http;
  const service = `${vip}:${port}/tcp`;
  const passwords: string[] = [];
  if (SHARED_STORE) {
    step(`starting etcd (Debian's etcd-server) in namespace ${ETCD_NAMESPACE}, data in ${RUN_ROOT}/etcd, reached through a unix socket`);
    await ensureEtcdNamespace(ETCD_NAMESPACE);
    etcd = await startEtcd({ namespace: ETCD_NAMESPACE, dir: join(RUN_ROOT, 'etcd') });
  }
  /* A fleet shares its users: one first admin for every node (the first node to start creates it), so one password. */
  const fleetPassword = etcd ? randomBytes(12).toString('base64url') : undefined;
  for (const node of ecmp.nodes) {
    step(`starting ${node.name}'s agent (its BIRD peers with the router; a VIP is announced once the node can serve it)`);
    const password = fleetPassword ?? randomBytes(12).toString('base64url');
    const passwordFile = join(RUN_ROOT, `${node.name}.password`);
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    passwords.push(password);
    const store = etcd ? ['--store', etcd.storeUrl, '--node-name', node.name] : [];
    const agent = await startNodeAgent(ecmp, node, RUN_ROOT, ['--admin-password-file', passwordFile, ...store]);
    agents.push(agent);
    /* With a shared store the service is added once, through the first node; otherwise on each. */
    if (etcd && agents.length > 1) continue;
    /* The same table on every node (maglev): a connection the router moves to another node keeps its backend. */
    await sluiceOk(agent.network, ['service', 'add', service, '--algorithm', 'maglev', '--mode', 'dsr', '--check', 'tcp', '--check-interval', '1s']);
    for (const b of ecmp.backends) await sluiceOk(agent.network, ['backend', 'add', service, `${b.ipv4}:${port}`]);
  }
  if (CONSOLES) {
    step(
      etcd
        ? "starting one console per node (the services and users are the fleet's: a change on one console reaches every node, and user admin logs in on each)"
        : 'starting one console per node (each node has its own users)',
    );
    agents.forEach((agent, k) => {
      consoles.push(startConsole(agent.network, FIRST_CONSOLE_PORT + k));
      process.stderr.write(
        `    console of ${agent.node.name}: http://127.0.0.1:${FIRST_CONSOLE_PORT + k} (log ${join(agent.network.runDir, 'console.log')})\n`,
      );
    });
  }
  const paths = AgentProcess.paths(agents[0]!.network);
  process.stderr.write(
    [
      '',
      ...(CONSOLES
        ? agents.map((a, k) => `  ${a.node.name}: console http://127.0.0.1:${FIRST_CONSOLE_PORT + k}  user admin, password ${passwords[k]} (shown once)`)
        : []),
      ...(etcd
        ? [
            `  The fleet, from any node: node apps/agent/bin/sluice.mjs fleet --socket ${paths.socket} --token-file ${paths.tokenFile}`,
            `  A change through n1 reaches every node: ... backend maint ${service} ${ecmp.backends[2]!.ipv4}:${port} (same flags)`,
          ]
        : []),
      `  From the client: ip netns exec ${ecmp.client.namespace} curl -s http://${vip}:${port}/`,
      `  A node's announcement: node apps/agent/bin/sluice.mjs node status --socket ${AgentProcess.paths(agents[0]!.network).socket} --token-file ${AgentProcess.paths(agents[0]!.network).tokenFile}`,
      `  The router's route: ip netns exec ${ecmp.router.namespace} ip route show ${vip}`,
      `  Drain a node: ... node drain --timeout 30s (same flags); it leaves the router's route and its connections go on through the other node(s); the drain ends once nothing reaches it for 3 s`,
      `  Stop the demo: Ctrl-C (or it ends after ${SECONDS} s)`,
      '',
    ].join('\n'),
  );

  const deadline = Date.now() + SECONDS * 1000;
  let nextReport = Date.now() + REPORT_EVERY_MS;
  let base = await newFlowsPerNode(service);
  let answered = 0;
  let failed = 0;
  while (!stopping() && Date.now() < deadline) {
    const started = Date.now();
    const report = await http(ecmp.client, vip, port, { count: CONNECTIONS_PER_SECOND });
    answered += report.succeeded;
    failed += report.failed;
    if (Date.now() >= nextReport) {
      const now = await newFlowsPerNode(service);
      const hops = await routerNextHops(ecmp, vip);
      const took = now.map((n, k) => `${agents[k]!.node.name} ${n - base[k]!}`).join(', ');
      const fleet = etcd ? `; ${await fleetLine()}` : '';
      process.stdout.write(
        `${new Date().toISOString()}  router -> ${hops.join(' + ') || 'no route'}; last 10 s: ${answered} answered, ${failed} failed; per node: ${took}${fleet}\n`,
      );
      base = now;
      answered = 0;
      failed = 0;
      nextReport = Date.now() + REPORT_EVERY_MS;
    }
    await sleep(Math.max(0, 1000 - (Date.now() - started)));
  }
}

runDemo(main, tearDown);
