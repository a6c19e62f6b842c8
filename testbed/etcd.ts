// A real etcd (Debian's etcd-server) for the fleet tests (issue 16), started
// by the test inside a namespace of its own with its data under the test's
// directory. Clients reach it through a unix socket in that directory only:
// no address of the root namespace, no link, nothing on the host's network.
// Its peer port listens on 127.0.0.1 inside the namespace. Stopped by pid,
// checked against its command line (its own data dir) first.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isOurProcess } from './daemon-pid.ts';
import { spawnDaemon } from './daemon-spawn.ts';
import { execInChecked, run, runChecked } from './netns.ts';

export const ETCD_BINARY = '/usr/bin/etcd';
export const ETCDCTL_BINARY = '/usr/bin/etcdctl';
/* etcd names a unix listener HOST:PORT and creates it in its working directory. */
const SOCKET_NAME = 'etcd.sock:0';

export interface EtcdServer {
  namespace: string;
  dir: string;
  dataDir: string;
  logFile: string;
  /** The socket's path, and the agent's --store for it. */
  socket: string;
  storeUrl: string;
  /** HOST:PORT of the TCP client listener inside the namespace, when asked for one (TLS needs an address to name). */
  client: string | null;
  pid: number;
}

/**
 * A client listener on an address inside etcd's namespace besides the socket:
 * https with `tls` (etcd's certificate and key, and the CA a client
 * certificate must chain to: --client-cert-auth), else plain http. The
 * socket stays plain (etcd serves unix:// without TLS): the test's own way in.
 */
export interface EtcdClientListener {
  address: string;
  port: number;
  tls?: { cert: string; key: string; ca: string };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Why etcd cannot run here (not installed), or null. */
function etcdMissing(): string | null {
  return existsSync(ETCD_BINARY) && existsSync(ETCDCTL_BINARY)
    ? null
    : `etcd is not installed (apt-get install etcd-server etcd-client; scripts/setup.sh does)`;
}

/** Creates the namespace (loopback up) if it is not there yet. */
export async function ensureEtcdNamespace(namespace: string): Promise<void> {
  const { code } = await run('ip', ['netns', 'exec', namespace, 'true']);
  if (code === 0) return;
  await runChecked('ip', ['netns', 'add', namespace]);
  await execInChecked(namespace, 'ip', ['link', 'set', 'lo', 'up']);
}

/** Starts etcd in `namespace` with its data in dir/data (kept across a stop and start: a restart, not a new cluster). */
export async function startEtcd(options: { namespace: string; dir: string; name?: string; listener?: EtcdClientListener }): Promise<EtcdServer> {
  /* etcd is part of the set-up (scripts/setup.sh): missing, every caller fails here with how to install it. */
  const missing = etcdMissing();
  if (missing) throw new Error(missing);
  const name = options.name ?? 'fleet';
  mkdirSync(options.dir, { recursive: true });
  const dataDir = join(options.dir, 'data');
  const logFile = join(options.dir, 'etcd.log');
  const socket = join(options.dir, SOCKET_NAME);
  const listener = options.listener;
  const client = listener ? `${listener.address}:${listener.port}` : null;
  const server = { namespace: options.namespace, dir: options.dir, dataDir, logFile, socket, storeUrl: `etcd+unix://${socket}`, client };
  const clientUrls = [`unix://${SOCKET_NAME}`, ...(listener ? [`${listener.tls ? 'https' : 'http'}://${client}`] : [])].join(',');
  const tlsArgs = listener?.tls
    ? ['--cert-file', listener.tls.cert, '--key-file', listener.tls.key, '--trusted-ca-file', listener.tls.ca, '--client-cert-auth']
    : [];
  const pid = await spawnDaemon({
    what: `etcd ${name}`,
    namespace: options.namespace,
    command: ETCD_BINARY,
    args: [
      '--name',
      name,
      '--data-dir',
      dataDir,
      '--listen-client-urls',
      clientUrls,
      '--advertise-client-urls',
      clientUrls,
      ...tlsArgs,
      '--listen-peer-urls',
      'http://127.0.0.1:2380',
      '--initial-advertise-peer-urls',
      'http://127.0.0.1:2380',
      '--initial-cluster',
      `${name}=http://127.0.0.1:2380`,
      /* Tests compact by hand (etcdctl compact); nothing automatic under them. */
      '--auto-compaction-retention',
      '0',
    ],
    cwd: options.dir,
    logFile,
    ready: async () => {
      const { code } = await etcdctl(server, ['endpoint', 'health'], 2000);
      return code === 0 ? pidOf(dataDir) : undefined;
    },
    notReady: 'its endpoint never answered healthy',
    readyTimeoutMs: 20_000,
    pollMs: 200,
  });
  return { ...server, pid };
}

/** etcdctl against the server's socket (v3 API); `user` (USER:PASSWORD) once auth is enabled. */
export function etcdctl(server: Pick<EtcdServer, 'socket'>, args: string[], timeoutMs = 10_000, user?: string) {
  return run(ETCDCTL_BINARY, ['--endpoints', `unix://${server.socket}`, '--dial-timeout', '2s', ...(user ? ['--user', user] : []), ...args], { timeoutMs });
}

/** The current revision of the store (from a read of a key nobody writes). */
export async function etcdRevision(server: Pick<EtcdServer, 'socket'>): Promise<number> {
  const { stdout, code, stderr } = await etcdctl(server, ['get', '/nothing', '-w', 'json']);
  if (code !== 0) throw new Error(`etcdctl get: ${stderr}`);
  return Number(JSON.parse(stdout).header.revision);
}

/** Compacts the store's history up to `revision`: a watch from before it is refused from then on. */
export async function compactEtcd(server: Pick<EtcdServer, 'socket'>, revision: number): Promise<void> {
  const { code, stderr } = await etcdctl(server, ['compact', String(revision), '--physical']);
  if (code !== 0) throw new Error(`etcdctl compact ${revision}: ${stderr}`);
}

/** Stops etcd (SIGTERM, SIGKILL after 5 s) if the pid is still ours. */
export async function stopEtcd(server: EtcdServer): Promise<void> {
  if (!isOurProcess(server.pid, 'etcd', server.dataDir)) return;
  process.kill(server.pid, 'SIGTERM');
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && isOurProcess(server.pid, 'etcd', server.dataDir)) await sleep(50);
  if (isOurProcess(server.pid, 'etcd', server.dataDir)) process.kill(server.pid, 'SIGKILL');
}

/** Removes the namespace (after stopEtcd). */
export async function removeEtcdNamespace(namespace: string): Promise<void> {
  await run('ip', ['netns', 'del', namespace]);
}

/* The etcd whose command line names this data dir (scanning /proc: spawnDaemon hands back what ready returns, not the pid). */
function pidOf(dataDir: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (Number.isInteger(pid) && isOurProcess(pid, 'etcd', dataDir)) return pid;
  }
  return undefined;
}
