/* The userspace peer: HAProxy in TCP mode in the LB namespace, round robin over the three backends. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { BENCH_RUN_DIR } from '../sluice-agent.js';
import { sleep, startIn, stopChild } from '../processes.js';
import { HTTP_PORT, VIPS } from './network.js';

export async function startHaproxy(lbNs: string, backends: string[]): Promise<ChildProcess> {
  mkdirSync(BENCH_RUN_DIR, { recursive: true });
  const config = join(BENCH_RUN_DIR, 'haproxy.cfg');
  writeFileSync(
    config,
    `global
  nbthread 2
  maxconn 8000
defaults
  mode tcp
  timeout connect 2s
  timeout client 10s
  timeout server 10s
frontend vip
  bind ${VIPS.haproxy}:${HTTP_PORT}
  default_backend pool
backend pool
  balance roundrobin
${backends.map((address, i) => `  server be${i + 1} ${address}:${HTTP_PORT}`).join('\n')}
`,
  );
  const child = startIn(lbNs, 'haproxy', ['-db', '-f', config]);
  let output = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  await sleep(500);
  if (child.exitCode !== null) throw new Error(`haproxy did not start:\n${output}`);
  return child;
}

export async function stopHaproxy(child: ChildProcess | undefined): Promise<void> {
  if (child) await stopChild(child);
}
