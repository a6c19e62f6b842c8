/*
 * The console's test lab: the namespaced testbed under our prefix, its
 * backends ready for dsr/ipip/gue (lab-backend-hosts.ts), a bpffs for the
 * agent's pins, the real `sluice agent` inside the LB namespace, three users
 * and four services. tearDownLab() undoes all of it and is safe
 * to call at any point, also after a half-finished bring-up.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitForReadyFile } from '@sluice/testbed/ready-file';
import {
  ADMIN_TOKEN_FILE,
  AGENT_LOG,
  AGENT_PID_FILE,
  AGENT_READY_FILE,
  AGENT_SOCKET,
  BACKENDS,
  DATA_DIR,
  GUE_PORT,
  PIN_DIR,
  PREFIX,
  REPO_ROOT,
  ROLES,
  STATE_DIR,
  TUNNEL_SOURCE4,
  USERS,
  configDocument,
  namespace,
} from './lab-settings.ts';
import { prepareModeBackends, unmountBackendRunDirs } from './lab-backend-hosts.ts';
import { mustRun, runCommand } from './run-command.ts';
import { sluice } from './sluice-cli.ts';

const BPF_FS_MAGIC = 0xcafe4a11;
/* Iterators a fresh bpffs holds; they cannot be unlinked. */
const KERNEL_PRELOADED = new Set(['maps.debug', 'progs.debug']);
const TESTBED_CLI = join(REPO_ROOT, 'testbed/cli.ts');
const SLUICE = join(REPO_ROOT, 'apps/agent/bin/sluice.mjs');
const AGENT_START_TIMEOUT_MS = 40_000;
const AGENT_STOP_TIMEOUT_MS = 10_000;
const TESTBED_TIMEOUT_MS = 120_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (message: string) => process.stderr.write(`console lab: ${message}\n`);

function isBpffs(dir: string): boolean {
  try {
    return statfsSync(dir).type === BPF_FS_MAGIC;
  } catch {
    return false;
  }
}

/* `ip netns exec` gives its process a private mount namespace, so the bpffs is mounted here, in the root one. */
function mountPinDir(): void {
  mkdirSync(PIN_DIR, { recursive: true });
  if (!isBpffs(PIN_DIR)) spawnSync('mount', ['-t', 'bpf', 'bpf', PIN_DIR], { stdio: 'inherit', timeout: 10_000 });
  if (!isBpffs(PIN_DIR)) throw new Error(`could not mount a bpffs at ${PIN_DIR}`);
}

function unpinAndUnmount(): void {
  if (!isBpffs(PIN_DIR)) return;
  for (const name of readdirSync(PIN_DIR)) {
    const path = join(PIN_DIR, name);
    if (!KERNEL_PRELOADED.has(name) && !statSync(path).isDirectory()) rmSync(path, { force: true });
  }
  spawnSync('umount', [PIN_DIR], { stdio: 'ignore', timeout: 10_000 });
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function agentPid(): number | null {
  if (!existsSync(AGENT_PID_FILE)) return null;
  const pid = Number(readFileSync(AGENT_PID_FILE, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

async function startAgent(interfaces: string[]): Promise<void> {
  rmSync(AGENT_READY_FILE, { force: true });
  const out = openSync(AGENT_LOG, 'a');
  /* Detached, its own process group: it outlives this set-up process and the teardown ends it by pid. */
  const child = spawn(
    'ip',
    [
      'netns',
      'exec',
      namespace('lb'),
      process.execPath,
      SLUICE,
      'agent',
      '--interfaces',
      interfaces.join(','),
      '--pin-dir',
      PIN_DIR,
      '--socket',
      AGENT_SOCKET,
      '--data-dir',
      DATA_DIR,
      '--token-file',
      ADMIN_TOKEN_FILE,
      '--ready-file',
      AGENT_READY_FILE,
      '--detach-on-exit',
      /* The balancer has an address on each of its links: ipip and gue need the one to tunnel from named. */
      '--tunnel-source4',
      TUNNEL_SOURCE4,
      '--gue-port',
      String(GUE_PORT),
    ],
    { cwd: REPO_ROOT, detached: true, stdio: ['ignore', out, out] },
  );
  closeSync(out);
  child.unref();
  writeFileSync(AGENT_PID_FILE, `${child.pid}\n`);
  const ready = await waitForReadyFile(AGENT_READY_FILE, { alive: () => processAlive(child.pid!), timeoutMs: AGENT_START_TIMEOUT_MS, pollMs: 100 });
  if (!ready) throw new Error(`sluice agent did not become ready; its log (${AGENT_LOG}):\n${readFileSync(AGENT_LOG, 'utf8').slice(-4000)}`);
}

async function stopAgent(): Promise<void> {
  const pid = agentPid();
  if (pid && processAlive(pid)) {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + AGENT_STOP_TIMEOUT_MS;
    while (processAlive(pid) && Date.now() < deadline) await sleep(100);
    if (processAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(AGENT_PID_FILE, { force: true });
}

export async function bringUpLab(): Promise<void> {
  await tearDownLab();
  mkdirSync(STATE_DIR, { recursive: true });
  rmSync(DATA_DIR, { recursive: true, force: true });
  rmSync(ADMIN_TOKEN_FILE, { force: true });
  rmSync(AGENT_LOG, { force: true });
  mountPinDir();
  log(`testbed ${PREFIX} with ${BACKENDS} backends`);
  const topology = JSON.parse(
    await mustRun(process.execPath, ['--import', 'tsx', TESTBED_CLI, 'up', '--quiet', '--prefix', PREFIX, '--backends', String(BACKENDS)], {
      timeoutMs: TESTBED_TIMEOUT_MS,
      cwd: REPO_ROOT,
    }),
  ) as { lb: { interfaces: { name: string }[] } };
  log('backend hosts for dsr, ipip and gue');
  await prepareModeBackends();
  log('sluice agent');
  await startAgent(topology.lb.interfaces.map((i) => i.name));
  log('users and services');
  for (const role of ROLES) await sluice(['user', 'add', USERS[role].user, '--role', role], `${USERS[role].password}\n`);
  await resetServices();
}

/** Puts the services back as configDocument() describes them (also between specs). */
export async function resetServices(): Promise<void> {
  const file = join(STATE_DIR, 'services.json');
  writeFileSync(file, JSON.stringify(configDocument(), null, 2));
  await sluice(['config', 'import', file, '--force']);
}

export async function tearDownLab(): Promise<void> {
  await stopAgent().catch((error) => log(`stopping the agent: ${(error as Error).message}`));
  const down = await runCommand(process.execPath, ['--import', 'tsx', TESTBED_CLI, 'down', '--quiet', '--prefix', PREFIX], {
    timeoutMs: TESTBED_TIMEOUT_MS,
    cwd: REPO_ROOT,
  }).catch((error: Error) => ({ code: -1, stdout: '', stderr: error.message }));
  if (down.code !== 0) log(`testbed down: ${down.stderr}`);
  /* With the namespaces gone nothing is attached; pins are what a killed agent leaves behind. */
  unpinAndUnmount();
  await unmountBackendRunDirs().catch((error) => log(`unmounting the backends' bpffs: ${(error as Error).message}`));
  rmSync(AGENT_SOCKET, { force: true });
}
