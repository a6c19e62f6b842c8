/*
 * The forwarding-modes test network, made ready for dsr, ipip and gue: the
 * testbed fabric (client -> router -> balancer; on-link backends be1..be3
 * and a routed backend `far`, all answering through the router), each
 * backend prepared as the README says (every test VIP on its loopback,
 * arp_ignore/arp_announce, loose rp_filter, `sluice backend-host attach`:
 * be1 in XDP, be2 in TC, be3 and far in XDP), extra client addresses for
 * source-hash, and the real agent in the balancer's namespace with XDP on its
 * uplink and its segment arm, tunnelling from its segment addresses.
 * Everything is removed by down(), also after a failed up().
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AgentProcess, type AgentNetwork } from '@sluice/testbed/agent-process';
import { type Fabric, fabricDown, fabricUp } from '@sluice/testbed/fabric';
import { execIn, execInChecked, run, runChecked } from '@sluice/testbed/netns';
import { tagged } from '@sluice/testbed/tag';

const SLUICE = fileURLToPath(new URL('../../../apps/agent/bin/sluice.mjs', import.meta.url));
const XDP_PASS = fileURLToPath(new URL('../../../bpf/build/test/xdp_pass.bpf.o', import.meta.url));
export const PREFIX = tagged('slmd');
const RUN_DIR = tagged('/run/sluice-e2e-modes');
export const GUE_PORT = 6080;
export const EXTRA_CLIENTS = 10;

export type Mode = 'dsr' | 'ipip' | 'gue';
export type Family = 'ipv4' | 'ipv6';
export const MODES: Mode[] = ['dsr', 'ipip', 'gue'];
export const FAMILIES: Family[] = ['ipv4', 'ipv6'];

/* How each backend strips tunnels: one in XDP and one in TC at least (the issue asks for both). */
const DECAP_MODE: Record<string, 'xdp' | 'tc'> = { be1: 'xdp', be2: 'tc', be3: 'xdp', far: 'xdp' };

export interface ModesNetwork extends AgentNetwork {
  fabric: Fabric;
  agent: AgentProcess;
  extraClients: Record<Family, string[]>;
}

/**
 * A VIP for the n-th service (1..199) of a family: inside the router's VIP
 * routes (198.18.100.0/24, 2001:db8:100::/64), so the router sends it to the
 * balancer's uplink; every backend holds each one on its loopback.
 */
export function vip(family: Family, n: number): string {
  if (!Number.isInteger(n) || n < 1 || n > 199) throw new Error(`VIP number ${n}: use 1..199`);
  return family === 'ipv4' ? `198.18.100.${n}` : `2001:db8:100::${n}`;
}

const backendRunDir = (name: string) => join(RUN_DIR, `backend-${name}`);

const isMounted = async (dir: string) => (await run('mountpoint', ['-q', dir])).code === 0;

async function mountBpffs(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  /* ip netns exec mounts in a namespace of its own: a bpffs for pins is mounted here, where every command sees it. */
  if (!(await isMounted(dir))) await runChecked('mount', ['-t', 'bpf', 'bpffs', dir]);
}

/** `sluice backend-host ARGS` on a backend host, with its own run directory. */
export function backendHost(namespace: string, name: string, args: string[]) {
  return execIn(namespace, process.execPath, [SLUICE, 'backend-host', ...args, '--run-dir', backendRunDir(name)], { timeoutMs: 60_000 });
}

async function prepareBackend(backend: Fabric['backends'][number], vips: number): Promise<void> {
  const ns = backend.namespace;
  const sh = (command: string) => execInChecked(ns, 'sh', ['-c', command]);
  for (const family of FAMILIES) {
    for (let n = 1; n <= vips; n++) await sh(`ip addr add ${vip(family, n)}/${family === 'ipv4' ? 32 : 128} dev lo`);
  }
  /* Never answer ARP for the VIPs (dsr: the balancer owns them on the segment); the decapsulated inner source is the client. */
  await sh('sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.all.rp_filter=2 net.ipv4.conf.eth0.rp_filter=2');
  await mountBpffs(join(backendRunDir(backend.name), 'bpf'));
  const attach = await backendHost(ns, backend.name, [
    'attach',
    '--interface',
    'eth0',
    '--mode',
    DECAP_MODE[backend.name] ?? 'xdp',
    '--address',
    backend.ipv4,
    '--address',
    backend.ipv6,
    '--gue-port',
    String(GUE_PORT),
  ]);
  if (attach.code !== 0) throw new Error(`backend-host attach on ${backend.name} exited ${attach.code}: ${attach.stderr}${attach.stdout}`);
}

export interface ModesNetworkOptions {
  /** How many VIPs per family every backend holds on its loopback (vip(family, 1..n)). */
  vips: number;
  /** The agent's starting services (a config document). */
  config: { services: unknown[] };
  log?: (message: string) => void;
}

const DOWN_SCRIPT = fileURLToPath(new URL('./modes-down.ts', import.meta.url));
let guarded = false;

/* after() hooks do not run when the run is interrupted: then tear down synchronously on exit (a no-op after a normal down). */
function guardExit(): void {
  if (guarded) return;
  guarded = true;
  process.once('exit', () => {
    if (existsSync(RUN_DIR)) spawnSync(process.execPath, ['--import', 'tsx', DOWN_SCRIPT], { stdio: 'ignore', timeout: 60_000 });
  });
}

export async function modesNetworkUp(options: ModesNetworkOptions): Promise<ModesNetwork> {
  guardExit();
  await modesNetworkDown();
  let fabric: Fabric | undefined;
  try {
    fabric = await fabricUp({ prefix: PREFIX, backends: 3, routedBackend: true, stateRoot: join(RUN_DIR, 'fabric'), log: options.log });
    const extraClients: Record<Family, string[]> = { ipv4: [], ipv6: [] };
    for (let k = 0; k < EXTRA_CLIENTS; k++) {
      extraClients.ipv4.push(`198.18.0.${10 + k}`);
      extraClients.ipv6.push(`2001:db8::${10 + k}`);
    }
    for (const a of extraClients.ipv4) await runChecked('ip', ['-n', fabric.client.namespace, 'addr', 'add', `${a}/24`, 'dev', 'eth0']);
    for (const a of extraClients.ipv6) await runChecked('ip', ['-n', fabric.client.namespace, 'addr', 'add', `${a}/64`, 'dev', 'eth0', 'nodad']);
    for (const backend of fabric.backends) await prepareBackend(backend, options.vips);
    /* The balancer's XDP_TX answers (ICMP too-big) leave by its uplink: its veth peer must run an XDP program to receive them. */
    await runChecked('ip', ['-n', fabric.router.namespace, 'link', 'set', 'dev', fabric.router.uplinkInterface, 'xdp', 'obj', XDP_PASS, 'sec', 'xdp']);

    const pinDir = join(RUN_DIR, 'bpf');
    await mountBpffs(pinDir);
    const configFile = join(RUN_DIR, 'services.json');
    writeFileSync(configFile, JSON.stringify({ version: 1, ...options.config }));
    const network: AgentNetwork = {
      topology: { lb: { namespace: fabric.lb.namespace } },
      interfaces: [fabric.lb.uplink.interface, fabric.lb.segment.interface],
      pinDir,
      runDir: RUN_DIR,
    };
    const agent = await AgentProcess.start(network, [
      '--config',
      configFile,
      '--tunnel-source4',
      fabric.lb.segment.ipv4,
      '--tunnel-source6',
      fabric.lb.segment.ipv6,
      '--gue-port',
      String(GUE_PORT),
    ]);
    return { ...network, fabric, agent, extraClients };
  } catch (error) {
    await modesNetworkDown();
    throw error;
  }
}

/** Stops the agent (detaching its program), detaches every backend's decapsulation, removes the fabric and unmounts. Idempotent. */
export async function modesNetworkDown(network?: ModesNetwork): Promise<void> {
  await network?.agent.stopAndTeardown();
  await fabricDown({ prefix: PREFIX, stateRoot: join(RUN_DIR, 'fabric') });
  if (!existsSync(RUN_DIR)) return;
  for (const name of ['be1', 'be2', 'be3', 'far']) {
    const dir = join(backendRunDir(name), 'bpf');
    if (existsSync(dir) && (await isMounted(dir))) await runChecked('umount', [dir]);
  }
  const pinDir = join(RUN_DIR, 'bpf');
  if (existsSync(pinDir) && (await isMounted(pinDir))) await runChecked('umount', [pinDir]);
  rmSync(RUN_DIR, { recursive: true, force: true });
}
