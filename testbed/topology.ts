// The test network: a client, the LB and N backends, each in its own network
// namespace, joined by veth pairs created directly inside the namespaces (so
// no interface ever exists in the root namespace and nothing routes out).
//
//   <p>-client eth0 ── cli0 <p>-lb be1 ── eth0 <p>-be1
//                                   be2 ── eth0 <p>-be2 ...
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makePlan, ownsNamespace, validatePlanOptions, DEFAULT_PREFIX, type Plan } from './addresses.js';
import { checkPrerequisites } from './prereqs.js';
import { killNamespaceProcesses, listNamespaces, run, runChecked, execInChecked } from './netns.js';
import { startServer, stopServers, serverStatus, stateDir, STATE_ROOT, type ServerStatus } from './servers.js';

export { execIn, spawnIn, type ExecResult } from './netns.js';
export { makePlan, type Plan } from './addresses.js';

export interface TestbedOptions {
  prefix?: string; // namespace prefix, default "sl"
  backends?: number; // backend count, default 3
  queues?: number; // veth TX/RX queue count, default 1 (raise for multi-core benchmarks)
  stateRoot?: string; // pid files and logs go to <stateRoot>/<prefix>, default /run/sluice-testbed
  serverScript?: string; // override the backend server (tests use it to force a failure)
  log?: (message: string) => void; // progress messages, default silent
}

export interface Topology extends Plan {
  stateDir: string;
  servers: ServerStatus[];
}

export interface Status extends Topology {
  up: boolean;
  namespaceState: Array<{ name: string; exists: boolean }>;
}

export interface DownResult {
  prefix: string;
  removedNamespaces: string[];
  killedPids: number[];
}

const TOPOLOGY_FILE = 'topology.json';

const ip = (ns: string, ...args: string[]) => runChecked('ip', ['-n', ns, ...args]);
const ethtool = (ns: string, ...args: string[]) => execInChecked(ns, 'ethtool', args);
const sysctl = (ns: string, ...settings: string[]) => execInChecked(ns, 'sysctl', ['-q', '-w', ...settings]);

function dirFor(options: TestbedOptions): string {
  return stateDir(options.prefix ?? DEFAULT_PREFIX, options.stateRoot ?? STATE_ROOT);
}

/**
 * Builds the test network and starts the backend servers. Tears down stale
 * pieces with the same prefix first, so calling it twice is safe. If any step
 * fails it removes what it made and throws, naming the failing command.
 */
export async function up(options: TestbedOptions = {}): Promise<Topology> {
  checkPrerequisites();
  const plan = makePlan(options);
  const queues = options.queues ?? 1;
  if (!Number.isInteger(queues) || queues < 1 || queues > 64) throw new Error(`invalid queue count ${queues}: use 1..64`);
  const log = options.log ?? (() => {});
  const dir = dirFor(options);

  await down(options);
  try {
    mkdirSync(dir, { recursive: true });
    await buildNetwork(plan, queues, log);
    const servers: ServerStatus[] = [];
    for (const backend of plan.backends) {
      log(`starting server ${backend.name} in ${backend.namespace}`);
      servers.push(await startServer(dir, backend, { script: options.serverScript }));
    }
    const topology: Topology = { ...plan, stateDir: dir, servers };
    writeFileSync(join(dir, TOPOLOGY_FILE), `${JSON.stringify(topology, null, 2)}\n`);
    return topology;
  } catch (err) {
    log('up failed, tearing down');
    await down(options).catch(() => {}); // the original error matters more
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`testbed up failed: ${message}`, { cause: err });
  }
}

async function buildNetwork(plan: Plan, queues: number, log: (m: string) => void): Promise<void> {
  const { client, lb, backends } = plan;
  const allNs = [client.namespace, lb.namespace, ...backends.map((b) => b.namespace)];
  const q = queues > 1 ? ['numtxqueues', String(queues), 'numrxqueues', String(queues)] : [];

  for (const ns of allNs) {
    log(`creating namespace ${ns}`);
    await runChecked('ip', ['netns', 'add', ns]);
    // Set before any veth exists so new interfaces inherit "no DAD": IPv6
    // addresses (link-local ones too) are usable at once.
    await sysctl(ns, 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0');
    await ip(ns, 'link', 'set', 'lo', 'up');
  }
  await sysctl(lb.namespace, 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1');
  // Many short connections from one client address: widen the port range and reuse TIME_WAIT ports.
  await sysctl(client.namespace, 'net.ipv4.ip_local_port_range=1024 65000', 'net.ipv4.tcp_tw_reuse=1');

  // Each veth pair is created inside the LB namespace with its peer placed
  // straight into the other namespace: no end ever lives in the root namespace.
  const pairs = [{ lbIf: client.lbInterface, peerNs: client.namespace }, ...backends.map((b) => ({ lbIf: b.lb.interface, peerNs: b.namespace }))];
  for (const { lbIf, peerNs } of pairs) {
    log(`creating veth ${lb.namespace}/${lbIf} <-> ${peerNs}/eth0`);
    await ip(lb.namespace, 'link', 'add', lbIf, ...q, 'type', 'veth', 'peer', 'name', 'eth0', ...q, 'netns', peerNs);
    // TX checksum offload off on both ends: an XDP redirect loses the partial-checksum state.
    await ethtool(lb.namespace, '-K', lbIf, 'tx', 'off');
    await ethtool(peerNs, '-K', 'eth0', 'tx', 'off');
    // A veth accepts XDP-redirected frames only when its peer has GRO (NAPI) or an XDP program.
    await ethtool(peerNs, '-K', 'eth0', 'gro', 'on');
  }

  for (const i of lb.interfaces) {
    await ip(lb.namespace, 'addr', 'add', i.ipv4Cidr, 'dev', i.name);
    await ip(lb.namespace, '-6', 'addr', 'add', i.ipv6Cidr, 'dev', i.name, 'nodad');
    await ip(lb.namespace, 'link', 'set', i.name, 'up');
  }

  // Client: primary IPv4 first (the first address in a subnet is the primary);
  // IPv6 extras before the main one, since the newest equal-scope IPv6 address
  // wins source selection. The default routes also pin the source ("src").
  await ip(client.namespace, 'addr', 'add', client.ipv4Cidr, 'dev', client.interface);
  for (const a of client.extraIpv4) await ip(client.namespace, 'addr', 'add', `${a}/24`, 'dev', client.interface);
  for (const a of client.extraIpv6) await ip(client.namespace, '-6', 'addr', 'add', `${a}/64`, 'dev', client.interface, 'nodad');
  await ip(client.namespace, '-6', 'addr', 'add', client.ipv6Cidr, 'dev', client.interface, 'nodad');
  await ip(client.namespace, 'link', 'set', client.interface, 'up');
  await ip(client.namespace, 'route', 'add', 'default', 'via', client.gateway.ipv4, 'dev', client.interface, 'src', client.ipv4);
  await ip(client.namespace, '-6', 'route', 'add', 'default', 'via', client.gateway.ipv6, 'dev', client.interface, 'src', client.ipv6);

  for (const b of backends) {
    await ip(b.namespace, 'addr', 'add', b.ipv4Cidr, 'dev', b.interface);
    await ip(b.namespace, '-6', 'addr', 'add', b.ipv6Cidr, 'dev', b.interface, 'nodad');
    await ip(b.namespace, 'link', 'set', b.interface, 'up');
    await ip(b.namespace, 'route', 'add', 'default', 'via', b.gateway.ipv4, 'dev', b.interface);
    await ip(b.namespace, '-6', 'route', 'add', 'default', 'via', b.gateway.ipv6, 'dev', b.interface);
  }
}

/**
 * Stops the servers and deletes every namespace of this prefix (whatever the
 * backend count was). Idempotent: does nothing if the testbed is already gone.
 */
export async function down(options: TestbedOptions = {}): Promise<DownResult> {
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  validatePlanOptions({ prefix }); // the prefix goes into a regex and a path
  const dir = dirFor(options);
  const namespaces = (await listNamespaces()).filter((ns) => ownsNamespace(prefix, ns));

  // 1. Our servers, gracefully, by pid file.
  await stopServers(dir);

  // 2. Anything else still inside these namespaces (an agent, a client left
  //    running) would keep the namespace and its veths alive after
  //    `ip netns del`, so it goes too.
  const killedPids = await killNamespaceProcesses(namespaces);

  // 3. Deleting the LB end of each veth removes its peer as well.
  for (const ns of namespaces.filter((n) => n === `${prefix}-lb`)) {
    const { stdout } = await run('ip', ['-n', ns, '-o', 'link', 'show', 'type', 'veth']);
    for (const line of stdout.split('\n')) {
      const name = /^\d+:\s+([^@:\s]+)/.exec(line)?.[1];
      if (name) await run('ip', ['-n', ns, 'link', 'del', name]);
    }
  }

  // 4. The namespaces themselves.
  const failures: string[] = [];
  for (const ns of namespaces) {
    const result = await run('ip', ['netns', 'del', ns]);
    if (result.code !== 0 && !/No such file/i.test(result.stderr)) failures.push(`ip netns del ${ns}: ${result.stderr.trim()}`);
  }
  const left = (await listNamespaces()).filter((ns) => ownsNamespace(prefix, ns));
  if (left.length) throw new Error(`testbed down could not remove ${left.join(', ')}\n${failures.join('\n')}`);

  rmSync(dir, { recursive: true, force: true });
  return { prefix, removedNamespaces: namespaces, killedPids };
}

/** Reports the topology plus whether every namespace exists and every server is alive. */
export async function status(options: TestbedOptions = {}): Promise<Status> {
  const dir = dirFor(options);
  let plan: Plan;
  try {
    plan = JSON.parse(readFileSync(join(dir, TOPOLOGY_FILE), 'utf8')) as Plan;
  } catch {
    plan = makePlan(options); // never brought up (or torn down): report the default shape as down
  }
  const existing = new Set(await listNamespaces());
  const names = [plan.namespaces.client, plan.namespaces.lb, ...plan.namespaces.backends];
  const namespaceState = names.map((name) => ({ name, exists: existing.has(name) }));
  const servers = plan.backends.map((b) => serverStatus(dir, b.name));
  const isUp = namespaceState.every((n) => n.exists) && servers.every((s) => s.alive);
  return { ...plan, stateDir: dir, servers, up: isUp, namespaceState };
}
