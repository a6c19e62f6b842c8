// keepalived daemons of a test network (VRRP only: this kernel has no IPVS).
// Each runs in the foreground (-n) inside its node's namespace with its
// config, pid files and log in the network's state directory (never /etc or
// /run/keepalived), so a test's pair never meets the host's or another test's.
// The config is ops/keepalived/keepalived.conf.in, rendered: the tests run the
// file the README ships. Stopped by pid, checked against the command line
// first so a recycled pid is never signalled.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isOurProcess, readPid } from './daemon-pid.ts';
import { spawnDaemon } from './daemon-spawn.ts';
import { REPO_ROOT } from './test-network.ts';

export const KEEPALIVED_TEMPLATE = join(REPO_ROOT, 'ops/keepalived/keepalived.conf.in');

export interface KeepalivedValues {
  SLUICE: string;
  ROUTER_ID: string;
  INSTANCE: string;
  VRID: number;
  INTERFACE: string;
  PRIORITY: number;
  /** The agent's --sync-yield-file. */
  YIELD_FILE: string;
  /** The agent's --vrrp-notify-fifo: keepalived's role lines. */
  NOTIFY_FIFO: string;
  /** "ADDRESS/LEN dev IFNAME", one per VIP. */
  VIPS: string[];
}

/** The shipped template with every {{NAME}} replaced; throws naming a placeholder left unfilled. */
export function renderKeepalivedConfig(values: KeepalivedValues, template = readFileSync(KEEPALIVED_TEMPLATE, 'utf8')): string {
  /* Comment lines name the placeholders: they stay as they are. */
  const fill = (line: string) =>
    line.trimStart().startsWith('#')
      ? line
      : line.replace(/\{\{([A-Z_]+)\}\}/g, (whole, name: string) => {
          if (!Object.hasOwn(values, name)) throw new Error(`keepalived template: no value for ${whole}`);
          const value = values[name as keyof KeepalivedValues];
          return Array.isArray(value) ? value.join(`\n${line.match(/^\s*/)![0]}`) : String(value);
        });
  return template.split('\n').map(fill).join('\n');
}

export interface KeepalivedDaemon {
  name: string;
  namespace: string;
  config: string;
  pidFile: string;
  vrrpPidFile: string;
  logFile: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const keepalivedDir = (stateDir: string) => join(stateDir, 'keepalived');

export function keepalivedFiles(stateDir: string, name: string) {
  const dir = keepalivedDir(stateDir);
  return {
    config: join(dir, `${name}.conf`),
    pidFile: join(dir, `${name}.pid`),
    vrrpPidFile: join(dir, `${name}.vrrp.pid`),
    logFile: join(dir, `${name}.log`),
  };
}

/** True if `pid` is a keepalived started with this config file (its VRRP child is a fork: the same command line). */
export const isOurKeepalived = (pid: number, config: string): boolean => isOurProcess(pid, 'keepalived', config);

/** Writes the config, starts keepalived (VRRP only) in `namespace` and waits until its VRRP child runs. */
export async function startKeepalived(options: {
  stateDir: string;
  name: string;
  namespace: string;
  config: string;
  nice?: number;
  readyTimeoutMs?: number;
}): Promise<KeepalivedDaemon> {
  const files = keepalivedFiles(options.stateDir, options.name);
  mkdirSync(keepalivedDir(options.stateDir), { recursive: true });
  for (const f of [files.pidFile, files.vrrpPidFile]) rmSync(f, { force: true });
  writeFileSync(files.config, options.config, { mode: 0o600 });
  const args = ['-n', '-P', '-l', '-D', '-G', '-f', files.config, '-p', files.pidFile, '-r', files.vrrpPidFile];
  const command = options.nice === undefined ? ['keepalived', ...args] : ['nice', '-n', String(options.nice), 'keepalived', ...args];
  return spawnDaemon({
    what: `keepalived ${options.name}`,
    namespace: options.namespace,
    command: command[0]!,
    args: command.slice(1),
    logFile: files.logFile,
    ready: () => {
      const vrrp = readPid(files.vrrpPidFile);
      return vrrp && isOurKeepalived(vrrp, files.config) ? { name: options.name, namespace: options.namespace, ...files } : undefined;
    },
    notReady: 'its VRRP process never ran',
    readyTimeoutMs: options.readyTimeoutMs,
  });
}

/** The daemon's running pids (parent, then VRRP child), each checked against its command line. */
function ourPids(files: Pick<KeepalivedDaemon, 'config' | 'pidFile' | 'vrrpPidFile'>): number[] {
  return [readPid(files.pidFile), readPid(files.vrrpPidFile)].filter((pid): pid is number => !!pid && isOurKeepalived(pid, files.config));
}

function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // gone already
    }
  }
}

/** SIGHUP to the parent: keepalived reads its config again (a new priority, say). */
export function reloadKeepalived(daemon: KeepalivedDaemon, config: string): void {
  writeFileSync(daemon.config, config, { mode: 0o600 });
  const parent = readPid(daemon.pidFile);
  if (!parent || !isOurKeepalived(parent, daemon.config)) throw new Error(`keepalived ${daemon.name} is not running (pid file ${daemon.pidFile})`);
  process.kill(parent, 'SIGHUP');
}

/** The parent and its VRRP child stopped where they are (SIGSTOP): no advert of any priority, no reaction to a link going down. */
export function freezeKeepalived(daemon: KeepalivedDaemon): void {
  signal(ourPids(daemon), 'SIGSTOP');
}

/**
 * A crash: the parent and its VRRP child frozen (SIGSTOP), then killed
 * (SIGKILL): no priority-0 advert, the VIPs stay on the interfaces. Killed
 * without the freeze, the child can outlive its parent by a moment, take
 * the parent-death signal (SIGTERM) as a clean stop and send priority 0, and
 * the backup takes over at once (CI run 33: 0.33 s), which no dead machine does.
 */
export async function killKeepalived(daemon: KeepalivedDaemon): Promise<void> {
  const files = daemon;
  freezeKeepalived(daemon);
  signal(ourPids(files), 'SIGKILL');
  const deadline = Date.now() + 5_000;
  while (ourPids(files).length && Date.now() < deadline) await sleep(20);
  if (ourPids(files).length) throw new Error(`keepalived ${daemon.name} survived SIGKILL`);
}

/** Stops one daemon by its pid files: SIGTERM (it gives up its VIPs), SIGKILL after the grace period. Never throws. */
export async function stopKeepalived(stateDir: string, name: string, graceMs = 5_000): Promise<void> {
  const files = keepalivedFiles(stateDir, name);
  const pids = ourPids(files);
  if (pids.length) {
    signal(pids.slice(0, 1), 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && ourPids(files).length) await sleep(25);
    signal(ourPids(files), 'SIGKILL');
  }
  for (const f of [files.pidFile, files.vrrpPidFile]) rmSync(f, { force: true });
}

/** Stops every daemon with a config under <stateDir>/keepalived. */
export async function stopKeepaliveds(stateDir: string): Promise<void> {
  let names: string[] = [];
  try {
    names = readdirSync(keepalivedDir(stateDir))
      .filter((f) => f.endsWith('.conf'))
      .map((f) => f.slice(0, -'.conf'.length));
  } catch {
    // nothing was started
  }
  await Promise.all(names.map((name) => stopKeepalived(stateDir, name)));
}

export const keepalivedRunning = (daemon: KeepalivedDaemon) => existsSync(daemon.pidFile) && ourPids(daemon).length > 0;
