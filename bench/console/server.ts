/*
 * The web console (apps/web) for the bench: built (scripts/build-console.sh)
 * only when its build is missing or older than its sources, started as `next start` on
 * loopback (127.0.0.1, a port of the bench's own) against one agent's unix
 * socket, and driven by Debian's Chromium through Playwright. Every server
 * and browser started here is registered, so run.ts's teardown ends them on
 * failure and Ctrl-C too; every wait is bounded.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand, sleep } from '../processes.js';
import { chromium, type Browser, type StorageState } from './playwright.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WEB = join(ROOT, 'apps/web');
const NEXT_BIN = join(WEB, 'node_modules/next/dist/bin/next');
const BUILD_ID = join(WEB, '.next/BUILD_ID');
export const CONSOLE_HOST = '127.0.0.1';
export const CONSOLE_PORT = Number(process.env.SLUICE_BENCH_CONSOLE_PORT ?? 3917);
const BUILD_TIMEOUT_MS = 300_000;
const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
/* The user the agent creates on first start from --admin-password-file (apps/agent/src/auth/first-admin.ts). */
export const CONSOLE_USER = 'admin';
/* One throwaway password per run, for the bench's own fresh agent stores. */
export const CONSOLE_PASSWORD = randomBytes(12).toString('base64url');

/** Whether the console can be measured in this run, and if not, why (set by prepareConsole). */
let availability: { ok: true } | { ok: false; reason: string } = { ok: false, reason: 'the console was not prepared in this run' };
export const consoleAvailability = () => availability;
/** Seconds spent building the console in this run (0 when the build was current). */
export let consoleBuildSeconds = 0;

/** Builds the console if it needs it; never throws (a failure makes the console figures "not measured"). */
export async function prepareConsole(quick: boolean, runStarted: number, log: (m: string) => void): Promise<void> {
  if (!existsSync(NEXT_BIN)) {
    availability = { ok: false, reason: 'apps/web/node_modules/next is missing (pnpm install)' };
    return;
  }
  if (!existsSync(CHROMIUM)) {
    availability = { ok: false, reason: `${CHROMIUM} is missing (apt-get install -y chromium)` };
    return;
  }
  /* scripts/build-console.sh builds only when the build is older than its sources (set-up builds it once). */
  const t = Date.now();
  const build = await runCommand('bash', [join(ROOT, 'scripts/build-console.sh')], BUILD_TIMEOUT_MS);
  if (build.code === 0 && build.stdout.includes('build is current')) {
    availability = { ok: true };
    log('console build is current');
    return;
  }
  consoleBuildSeconds = (Date.now() - t) / 1000;
  if (build.code !== 0 || !existsSync(BUILD_ID)) {
    const tail = `${build.stdout}\n${build.stderr}`.trim().split('\n').slice(-15).join('\n');
    log(`console build failed after ${consoleBuildSeconds.toFixed(0)} s${build.timedOut ? ' (timed out)' : ''}:\n${tail}`);
    availability = { ok: false, reason: `the console build failed${build.timedOut ? ` (timed out after ${BUILD_TIMEOUT_MS / 1000} s)` : ''}` };
    return;
  }
  availability = { ok: true };
  log(`console built in ${consoleBuildSeconds.toFixed(0)} s`);
  if (quick) {
    log(
      `--quick: the console build took ${consoleBuildSeconds.toFixed(0)} s of this run (${((Date.now() - runStarted) / 1000).toFixed(0)} s so far); a run that needs no build is that much shorter`,
    );
  }
}

/* Everything started here that is still running: the teardown ends it. */
const servers = new Set<ChildProcess>();
const browsers = new Set<Browser>();

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: CONSOLE_HOST, port });
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

export interface ConsoleServer {
  url: string;
  child: ChildProcess;
  log(): string;
}

/** `next start` on 127.0.0.1:CONSOLE_PORT against the agent's socket; resolves once /login answers. */
export async function startConsoleServer(agentSocket: string): Promise<ConsoleServer> {
  if (await portAnswers(CONSOLE_PORT)) throw new Error(`something already listens on ${CONSOLE_HOST}:${CONSOLE_PORT} (set SLUICE_BENCH_CONSOLE_PORT)`);
  /* Its own process group, so the whole server (and anything it forks) is ended by its id. */
  const child = spawn(process.execPath, [NEXT_BIN, 'start', WEB, '--hostname', CONSOLE_HOST, '--port', String(CONSOLE_PORT)], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SLUICE_AGENT_SOCKET: agentSocket, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' },
  });
  servers.add(child);
  child.once('exit', () => servers.delete(child));
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const url = `http://${CONSOLE_HOST}:${CONSOLE_PORT}`;
  const server: ConsoleServer = { url, child, log: () => output };
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`the console server exited (${child.exitCode ?? child.signalCode}):\n${output.slice(-2000)}`);
    try {
      const response = await fetch(`${url}/login`, { signal: AbortSignal.timeout(2_000), redirect: 'manual' });
      if (response.status === 200) return server;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stopConsoleServer(server);
      throw new Error(`the console did not answer on ${url}/login within ${START_TIMEOUT_MS / 1000} s:\n${output.slice(-2000)}`);
    }
    await sleep(200);
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    /* already gone */
  }
}

export async function stopConsoleServer(server: ConsoleServer | undefined): Promise<void> {
  if (!server) return;
  const { child } = server;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    signalGroup(child, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), STOP_GRACE_MS);
    await Promise.race([exited, sleep(STOP_GRACE_MS + 2_000)]);
    clearTimeout(timer);
  }
  /* Whatever the server forked goes with its group. */
  signalGroup(child, 'SIGKILL');
  servers.delete(child);
}

export async function launchBrowser(): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
  browsers.add(browser);
  browser.once('disconnected', () => browsers.delete(browser));
  return browser;
}

export async function closeBrowser(browser: Browser | undefined): Promise<void> {
  if (!browser) return;
  await Promise.race([browser.close().catch(() => {}), sleep(10_000)]);
  browsers.delete(browser);
}

/** Logs in through /login as the tests do; returns the session (cookies) for fresh contexts. */
export async function logIn(browser: Browser, url: string): Promise<StorageState> {
  const context = await browser.newContext({ baseURL: url });
  try {
    context.setDefaultTimeout(20_000);
    const page = await context.newPage();
    await page.goto('/login');
    await page.getByLabel('User name').fill(CONSOLE_USER);
    await page.getByLabel('Password').fill(CONSOLE_PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByTestId('whoami').filter({ hasText: 'admin' }).waitFor();
    return await context.storageState();
  } finally {
    await context.close().catch(() => {});
  }
}

/** Ends every console server and browser still running (teardown, also on failure and Ctrl-C). */
export async function stopAllConsoles(): Promise<void> {
  await Promise.all([...browsers].map((b) => closeBrowser(b)));
  for (const child of [...servers]) await stopConsoleServer({ url: '', child, log: () => '' });
}

/** Rejects after ms (and runs onTimeout) if the work is not done by then. */
export async function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
