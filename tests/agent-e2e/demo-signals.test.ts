// The demo's signal handling (scripts/lib/supervise.sh, what scripts/demo.sh
// runs its monitor with), really signalled: a script that sources it, registers
// a cleanup and runs a long command the way the demo runs its monitor (under
// `timeout`), then gets SIGINT on its pid (`kill -INT`), SIGINT on its process
// group (Ctrl-C in a terminal) or SIGTERM. It must end at once, run the cleanup
// once and leave the command's processes gone. The whole demo (namespaces,
// console build) is too heavy for a test; this is the part that was broken.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

const SUPERVISE = fileURLToPath(new URL('../../scripts/lib/supervise.sh', import.meta.url));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(what: string, check: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(50);
  }
}

for (const [how, signal, toGroup, code] of [
  ['kill -INT on the script', 'SIGINT', false, 130],
  ['Ctrl-C (SIGINT to its process group)', 'SIGINT', true, 130],
  ['kill -TERM on the script', 'SIGTERM', false, 143],
] as const) {
  test(`the demo's supervisor: ${how} ends it at once, cleans up once, leaves nothing running`, { timeout: 20_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-demo-signals-'));
    const script = join(dir, 'demo-like.sh');
    writeFileSync(
      script,
      `set -euo pipefail
source ${JSON.stringify(SUPERVISE)}
cleanup() { trap - EXIT INT TERM; stop_supervised; echo cleaned >> ${JSON.stringify(join(dir, 'cleanup.log'))}; }
supervise cleanup
run_supervised timeout 300 sh -c 'echo $$ > ${join(dir, 'monitor.pid')}; exec sleep 300'
`,
    );
    const child = spawn('bash', [script], { detached: true, stdio: 'ignore' });
    let monitor: number | undefined;
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    try {
      await until('the monitor started', () => existsSync(join(dir, 'monitor.pid')) && readFileSync(join(dir, 'monitor.pid'), 'utf8').trim() !== '', 5000);
      monitor = Number(readFileSync(join(dir, 'monitor.pid'), 'utf8'));
      const sentAt = Date.now();
      process.kill(toGroup ? -child.pid! : child.pid!, signal);
      const exitCode = await Promise.race([exited, sleep(5000).then(() => 'still running' as const)]);
      assert.equal(exitCode, code, `the script after ${signal}`);
      assert.ok(Date.now() - sentAt < 3000, `ended ${Date.now() - sentAt} ms after the signal`);
      assert.equal(readFileSync(join(dir, 'cleanup.log'), 'utf8'), 'cleaned\n', 'cleanup ran once');
      await until('the monitor ended', () => !alive(monitor!), 2000);
    } finally {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
      /* `timeout` puts the monitor in a process group of its own: on failure it is ended here, by its pid. */
      if (monitor !== undefined && alive(monitor)) process.kill(monitor, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
