/*
 * An active/standby pair (issue 13), for the tests and the demo (`--ha`):
 * the ha testbed (testbed/ha.ts)
 * with a real agent and a real keepalived on each node. Both agents get the
 * same NAT services from one config file, maglev on one VIP and round robin
 * on another, each with a line port (held connections) and an HTTP port (new
 * connections). keepalived runs the shipped template
 * (ops/keepalived/keepalived.conf.in): its check calls the real CLI against
 * the node's own agent through a wrapper that names the agent's socket and
 * token file, and it writes its role lines to the agent's notify FIFO.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PORTS } from './addresses.ts';
import { AgentProcess, type AgentNetwork } from './agent-process.ts';
import { apiClient } from './api-client.ts';
import { type Ha, type HaNode, addressesOn, haDown, haUp } from './ha.ts';
import { tailLog } from './daemon-spawn.ts';
import { type KeepalivedDaemon, freezeKeepalived, keepalivedFiles, killKeepalived, renderKeepalivedConfig, startKeepalived } from './keepalived.ts';
import { execInChecked, run, runChecked } from './netns.ts';
import { failoverServices } from './failover-services.ts';
import type { NetlinkMonitor } from './netlink-monitor.ts';
import { REPO_ROOT } from './test-network.ts';

export const LINE = PORTS.tcp;
export const HTTP = PORTS.http;
export const INSTANCE = 'sluice_vi';
const VRID = 51;
/* n1 wins the first election; a planned switchover lowers it below n2. */
export const PRIORITY: Record<string, number> = { n1: 150, n2: 100 };
export const LOWERED_PRIORITY = 50;
/*
 * The pair's daemons (keepalived with its check, the agents) run at
 * niceness -10, as a balancer node gives them precedence: on this shared
 * 2-core machine other suites' browsers and agents would otherwise starve a
 * check past its timeout and fail a healthy node.
 */
const DAEMON_NICE = -10;

export type Algorithm = 'maglev' | 'round-robin' | 'weighted-round-robin' | 'least-connections' | 'source-hash';
export interface Target {
  vip: string;
  algorithm: Algorithm;
  mode: 'nat' | 'dsr';
}

/* Every algorithm in nat, and round robin in dsr (the VIPs of testbed/ha.ts, in order). */
export function targets(ha: Ha): Target[] {
  const nat: Algorithm[] = ['maglev', 'round-robin', 'weighted-round-robin', 'least-connections', 'source-hash'];
  return [
    ...nat.map((algorithm, k) => ({ vip: ha.vips[k]!, algorithm, mode: 'nat' as const })),
    { vip: ha.dsrVips[0]!, algorithm: 'round-robin', mode: 'dsr' },
  ];
}

/* The nodes' flow-sync listeners: their own front addresses (the segment VRRP speaks on), one port. */
export const SYNC_PORT = 7946;

/* Unequal weights, so weighted round robin is not plain round robin. */
const servicesConfig = (ha: Ha) => failoverServices(targets(ha), ha.backends, (t, k) => (t.algorithm === 'weighted-round-robin' ? k + 1 : 1));

export interface PairNode {
  node: HaNode;
  network: AgentNetwork;
  agent?: AgentProcess;
  keepalived?: KeepalivedDaemon;
  /** The {{SLUICE}} of the node's keepalived: the CLI against this node's agent. */
  sluiceCommand: string;
}

export interface Pair {
  ha: Ha;
  runRoot: string;
  /** The pair's shared flow-sync key (mode 600). */
  syncKeyFile: string;
  nodes: Map<string, PairNode>;
  /** More agent flags for a node (the demo's admin password file), on every start. */
  agentArgs?: (name: string) => string[];
}

/* The bin picks the compiled build while it is fresh (build.mjs), the sources otherwise: never stale code. */
export const SLUICE_BIN = join(REPO_ROOT, 'apps/agent/bin/sluice.mjs');

const routerId = (prefix: string, name: string) => `${prefix}-${name}`;
/* The agent's --sync-yield-file, keepalived's track_file: "1" while the node yields after a split brain. */
export const yieldFileOf = (pair: Pair, name: string) => join(pair.runRoot, `${name}-yield`);
/* The agent's --vrrp-notify-fifo, keepalived's vrrp_notify_fifo: its role lines, in order. */
export const notifyFifoOf = (pair: Pair, name: string) => join(pair.runRoot, `${name}-vrrp-notify`);

/** keepalived's config for `node` at `priority`: the shipped template, filled in. */
export function keepalivedConfig(pair: Pair, name: string, priority = PRIORITY[name]!): string {
  const p = pair.nodes.get(name)!;
  const { ha } = pair;
  return renderKeepalivedConfig({
    SLUICE: p.sluiceCommand,
    ROUTER_ID: routerId(ha.prefix, name),
    INSTANCE,
    VRID,
    INTERFACE: p.node.front.interface,
    PRIORITY: priority,
    YIELD_FILE: yieldFileOf(pair, name),
    NOTIFY_FIFO: notifyFifoOf(pair, name),
    VIPS: [...ha.vips.map((vip) => `${vip}/32 dev ${p.node.front.interface}`), `${ha.gateway.ipv4}/${ha.gateway.prefixLength} dev ${p.node.back.interface}`],
  });
}

export async function startAgent(pair: Pair, name: string): Promise<AgentProcess> {
  const p = pair.nodes.get(name)!;
  mkdirSync(p.network.pinDir, { recursive: true });
  if ((await run('findmnt', ['-n', '-t', 'bpf', p.network.pinDir])).code !== 0) await runChecked('mount', ['-t', 'bpf', 'bpffs', p.network.pinDir]);
  const configFile = join(pair.runRoot, `${name}-services.json`);
  writeFileSync(configFile, JSON.stringify(servicesConfig(pair.ha)));
  const peer = pair.ha.nodes.find((n) => n.name !== name)!;
  p.agent = await AgentProcess.start(p.network, [
    '--config',
    configFile,
    '--detach-on-exit',
    '--sync-listen',
    `${p.node.front.ipv4}:${SYNC_PORT}`,
    '--sync-peer',
    `${peer.front.ipv4}:${SYNC_PORT}`,
    '--sync-key-file',
    pair.syncKeyFile,
    '--sync-yield-file',
    yieldFileOf(pair, name),
    '--vrrp-notify-fifo',
    notifyFifoOf(pair, name),
    ...(pair.agentArgs?.(name) ?? []),
  ]);
  /* Every thread (niceness is per thread on Linux; threads made later inherit it from their creator). */
  for (const task of readdirSync(`/proc/${p.agent.pid}/task`)) await runChecked('renice', ['-n', String(DAEMON_NICE), '-p', task]);
  return p.agent;
}

export async function startKeepalivedOn(pair: Pair, name: string): Promise<KeepalivedDaemon> {
  const p = pair.nodes.get(name)!;
  p.keepalived = await startKeepalived({
    stateDir: pair.ha.stateDir,
    name,
    namespace: p.node.namespace,
    config: keepalivedConfig(pair, name),
    nice: DAEMON_NICE,
  });
  return p.keepalived;
}

export async function pairUp(prefix: string, runRoot: string, options: Pick<Pair, 'agentArgs'> = {}): Promise<Pair> {
  const ha = await haUp({ prefix, backends: 3 });
  const syncKeyFile = join(runRoot, 'sync.key');
  writeFileSync(syncKeyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  const pair: Pair = { ha, runRoot, syncKeyFile, nodes: new Map(), ...options };
  try {
    for (const node of ha.nodes) {
      const runDir = join(runRoot, node.name);
      const network: AgentNetwork = { topology: { lb: { namespace: node.namespace } }, interfaces: ['eth0', 'eth1'], pinDir: join(runDir, 'bpf'), runDir };
      /* Under the state dir (root's, mode 755): keepalived's script security refuses a script in a world-writable path like /tmp. */
      const wrapper = join(ha.stateDir, `${node.name}-sluice`);
      const { socket, tokenFile } = AgentProcess.paths(network);
      writeFileSync(wrapper, `#!/bin/sh\nexport SLUICE_SOCKET='${socket}' SLUICE_TOKEN_FILE='${tokenFile}'\nexec '${process.execPath}' '${SLUICE_BIN}' "$@"\n`);
      chmodSync(wrapper, 0o755);
      pair.nodes.set(node.name, { node, network, sluiceCommand: wrapper });
    }
    for (const name of pair.nodes.keys()) await startAgent(pair, name);
    for (const name of pair.nodes.keys()) await startKeepalivedOn(pair, name);
    return pair;
  } catch (error) {
    await pairDown(pair, prefix);
    throw error;
  }
}

/** keepalived's state changes and check outcomes on every node, from its log (what a failed test needs to be read). */
export function keepalivedHistory(pair: Pair | undefined): string {
  const lines: string[] = [];
  for (const name of pair?.nodes.keys() ?? []) {
    const log = keepalivedFiles(pair!.ha.stateDir, name).logFile;
    for (const line of tailLog(log, 10_000).split('\n'))
      if (/Entering|VRRP_Script|timed_out|now returning|received priority|Receive advertisement timeout|Reloading/.test(line)) lines.push(`${name} ${line}`);
  }
  return lines.join('\n');
}

const PAIR_LOG_WORDS = ['flow sync', 'VRRP:', 'node check', 'split brain', 'event loop stalled'];

/** The last `max` lines of one node's agent log that hold any of `wanted`. */
export function agentLines(pair: Pair | undefined, name: string, wanted = PAIR_LOG_WORDS, max = 40): string[] {
  const output = pair?.nodes.get(name)?.agent?.output ?? '';
  return output
    .split('\n')
    .filter((l) => wanted.some((w) => l.includes(w)))
    .slice(-max);
}

/** What a failed pair test needs read from each agent's log: flow sync, VRRP roles, node check verdicts, split brain, stalls (the last `max` lines). */
export function pairAgentLines(pair: Pair | undefined, max = 40): string {
  return [...(pair?.nodes.keys() ?? [])].map((name) => `${name}'s agent:\n${agentLines(pair, name, PAIR_LOG_WORDS, max).join('\n')}`).join('\n');
}

/** Stops every agent (detaching its program) and keepalived, the network, the pins. Never throws before it has tried everything. */
export async function pairDown(pair: Pair | undefined, prefix: string): Promise<void> {
  for (const p of pair?.nodes.values() ?? []) {
    if (p.keepalived) await killKeepalived(p.keepalived).catch(() => undefined);
    await p.agent?.stopAndTeardown();
  }
  await haDown({ prefix });
  for (const p of pair?.nodes.values() ?? []) await run('umount', [p.network.pinDir]);
  if (pair) rmSync(pair.runRoot, { recursive: true, force: true });
}

/** The node whose eth0 holds every VIP now, or undefined (none, or split between nodes). */
export async function vipHolder(pair: Pair): Promise<{ holders: string[]; byNode: Record<string, string[]> }> {
  const byNode: Record<string, string[]> = {};
  const holders: string[] = [];
  for (const [name, p] of pair.nodes) {
    const held = await addressesOn(p.node.namespace).catch(() => new Map<string, string[]>());
    const front = held.get(p.node.front.interface) ?? [];
    const back = held.get(p.node.back.interface) ?? [];
    byNode[name] = [...front.filter((a) => pair.ha.vips.includes(a)), ...back.filter((a) => a === pair.ha.gateway.ipv4)];
    if (byNode[name]!.length) holders.push(name);
  }
  return { holders, byNode };
}

/**
 * Polls every 20 ms (each poll runs `ip` once per node) until `name` alone
 * holds every VIP and the gateway; resolves with the time it took (ms), read
 * when the poll that saw it began: the `ip` processes' own start-up (100 ms
 * and more on a loaded machine) is the test's, not the takeover's.
 */
export async function waitForHolder(pair: Pair, name: string, timeoutMs: number): Promise<number> {
  const started = performance.now();
  const want = pair.ha.vips.length + 1;
  for (;;) {
    const pollStarted = performance.now();
    const { holders, byNode } = await vipHolder(pair);
    const ms = pollStarted - started;
    if (holders.length === 1 && holders[0] === name && byNode[name]!.length === want) return ms;
    if (ms > timeoutMs) throw new Error(`${name} does not hold the VIPs alone after ${timeoutMs} ms: ${JSON.stringify(byNode)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * When `name` got all of the pair's VIPs and the gateway, after `since`
 * (epoch ms), from its kernel's address notices (NetlinkMonitor on its
 * namespace, started before the event): keepalived adds them at once, so
 * this is its takeover, without the polls' own start-up in it.
 */
export function vipsAddedAfter(pair: Pair, monitor: NetlinkMonitor, since: number): number {
  return Math.max(...[...pair.ha.vips, pair.ha.gateway.ipv4].map((address) => addressNoticeAfter(monitor, address, since, 'added') - since));
}

/** The epoch ms of the first notice after `since` that `address` was added to (or deleted from) an interface. */
export function addressNoticeAfter(monitor: NetlinkMonitor, address: string, since: number, what: 'added' | 'deleted'): number {
  const event = monitor.first(since, (text) => text.includes(` inet ${address}/`) && text.startsWith('Deleted ') === (what === 'deleted'));
  if (!event) throw new Error(`no notice that ${address} was ${what} (${monitor.events.length} address notices in all)`);
  return event.at;
}

/** The role a node's agent shows (node.status vrrp.role), or null; through the API client (a CLI process per poll would load the node). */
export async function roleOf(pair: Pair, name: string): Promise<string | null> {
  const status = await apiClient(pair.nodes.get(name)!.network).node.status.query();
  return status.vrrp?.role ?? null;
}

/* The first election's bound, VIPs and roles each: keepalived starts, elects and writes its roles to the agents. */
const ELECTED_WITHIN_MS = 30_000;

/** The pair up with n1 elected: it holds the VIPs, and the agents show n1 master and n2 backup. Torn down again if that fails. */
export async function pairElected(prefix: string, runRoot: string): Promise<Pair> {
  const pair = await pairUp(prefix, runRoot);
  try {
    await waitForHolder(pair, 'n1', ELECTED_WITHIN_MS);
    await waitForRole(pair, 'n1', 'master', ELECTED_WITHIN_MS);
    await waitForRole(pair, 'n2', 'backup', ELECTED_WITHIN_MS);
    return pair;
  } catch (error) {
    await pairDown(pair, prefix);
    throw error;
  }
}

/** Polls the agent until it shows `role` (what keepalived last wrote to its notify FIFO). */
export async function waitForRole(pair: Pair, name: string, role: string, timeoutMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const now = await roleOf(pair, name);
    const ms = performance.now() - started;
    if (now === role) return ms;
    if (ms > timeoutMs) throw new Error(`${name}'s agent shows role ${now} after ${timeoutMs} ms, not ${role}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * A dead node, as a machine that loses power: its keepalived frozen (no
 * priority-0 advert: the backup must notice the silence), then both links
 * cut in one `ip` call, so that forwarding, VRRP and flow sync end at one
 * instant; only then keepalived and the agent SIGKILLed (whatever their
 * sockets still send goes nowhere) and the XDP program detached. The agent
 * lives until the cut: killing it first left its program forwarding new
 * connections, with no agent to sync their flows, for an exit and an `ip`
 * start (tens of ms), which a dead machine does not do. Links go down
 * before the program leaves: a live kernel holding the VIPs without the
 * program would answer the connections' next packets with resets.
 */
export async function killNode(pair: Pair, name: string): Promise<void> {
  const p = pair.nodes.get(name)!;
  if (!p.keepalived || !p.agent) throw new Error(`node ${name} has no running keepalived and agent to kill`);
  freezeKeepalived(p.keepalived);
  await runChecked('ip', ['-netns', p.node.namespace, '-batch', '-'], { input: 'link set dev eth0 down\nlink set dev eth1 down\n' });
  await killKeepalived(p.keepalived);
  await p.agent.kill();
  p.agent = undefined;
  p.keepalived = undefined;
  for (const ifname of ['eth0', 'eth1']) await execInChecked(p.node.namespace, 'ip', ['link', 'set', 'dev', ifname, 'xdp', 'off']);
}
