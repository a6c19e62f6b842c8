/*
 * The HTTP backends: nginx from Debian, one per backend namespace, answering
 * a 3-byte body from memory on HTTP_PORT. The testbed's own Node servers
 * (on the testbed's port) saturate a core long before any balancer does, so
 * with them every scenario measured the backends (issue 14); nginx on the
 * same 2 CPUs leaves the path through the LB to set the pace. Each runs in
 * the foreground as our child (stopped by PID), its config, pid file, logs
 * and temp paths in the bench's run directory.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { BENCH_RUN_DIR } from '../sluice-agent.js';
import { runCommand, sleep, startIn, stopChild } from '../processes.js';
import { HTTP_PORT, type BenchNetwork } from './network.js';

export interface NginxBackends {
  children: ChildProcess[];
}

/* Every nginx this process started and has not stopped, so the bench's teardown (Ctrl-C too) ends them. */
const running = new Set<ChildProcess>();

function config(dir: string, address: string): string {
  /* One worker: three backends share 2 CPUs with the client and the LB. Keep-alive is long so wrk's keep-alive run reuses its connections. */
  return `daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 30s;
  server {
    listen ${address}:${HTTP_PORT} backlog=4096 reuseport;
    location / { return 200 "ok\\n"; }
  }
}
`;
}

/** Starts nginx in every backend namespace and waits until each answers on its address. */
export async function startNginxBackends(net: BenchNetwork): Promise<NginxBackends> {
  const children: ChildProcess[] = [];
  try {
    for (const [i, ns] of net.backendNs.entries()) {
      const address = net.backendAddresses[i]!;
      const dir = join(BENCH_RUN_DIR, `nginx-${ns}`);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'nginx.conf'), config(dir, address));
      const child = startIn(ns, 'nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir, '-e', join(dir, 'error.log')]);
      let output = '';
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
      children.push(child);
      running.add(child);
      await waitAnswering(ns, address, child, () => output);
    }
    return { children };
  } catch (error) {
    await stopNginxBackends({ children });
    throw error;
  }
}

async function waitAnswering(ns: string, address: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && child.exitCode === null) {
    const probe = await runCommand('ip', ['netns', 'exec', ns, 'curl', '-s', '-m', '1', `http://${address}:${HTTP_PORT}/`], 3_000);
    if (probe.code === 0 && probe.stdout === 'ok\n') return;
    await sleep(50);
  }
  throw new Error(`nginx in ${ns} did not answer on ${address}:${HTTP_PORT}${child.exitCode !== null ? ` (exit ${child.exitCode})` : ''}:\n${output()}`);
}

export async function stopNginxBackends(backends: NginxBackends | undefined): Promise<void> {
  /* SIGTERM to the master ends its worker too (fast shutdown). */
  for (const child of backends?.children ?? []) {
    await stopChild(child, 3_000);
    running.delete(child);
  }
}

/** Whatever nginx is still running after a failure or a signal. */
export async function stopAllNginx(): Promise<void> {
  await stopNginxBackends({ children: [...running] });
}
