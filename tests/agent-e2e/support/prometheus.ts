/*
 * A real Prometheus (Debian's package) in a test namespace, with the repo's
 * own configuration and rules (ops/prometheus/): listening on that
 * namespace's loopback only, its data in the test's directory, stopped by pid.
 * Queries go through curl inside the namespace, the only place it listens.
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { runChecked, spawnIn } from '@sluice/testbed/netns';
import { REPO_ROOT } from './network.ts';

export const PROMETHEUS_CONFIG = join(REPO_ROOT, 'ops/prometheus/prometheus.yml');
/** The scrape target ops/prometheus/prometheus.yml names: the agent listens there. */
export const METRICS_ADDRESS = '127.0.0.1:9469';
const LISTEN = '127.0.0.1:9090';

export interface Prometheus {
  namespace: string;
  process: ChildProcess;
  logFile: string;
}

export function startPrometheus(namespace: string, dir: string): Prometheus {
  mkdirSync(join(dir, 'data'), { recursive: true });
  const logFile = join(dir, 'prometheus.log');
  const log = openSync(logFile, 'a');
  const process = spawnIn(
    namespace,
    'prometheus',
    [`--config.file=${PROMETHEUS_CONFIG}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=${LISTEN}`, '--log.level=warn'],
    { stdio: ['ignore', 'ignore', log] },
  );
  closeSync(log);
  return { namespace, process, logFile };
}

/** GET on the Prometheus HTTP API; the parsed `data` of a success, else throws with Prometheus's error. */
export async function prometheusApi<T>(prometheus: Prometheus, path: string): Promise<T> {
  const { stdout } = await runChecked('ip', ['netns', 'exec', prometheus.namespace, 'curl', '-sS', '--max-time', '5', `http://${LISTEN}${path}`]);
  const body = JSON.parse(stdout) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`prometheus ${path}: ${body.error ?? stdout}`);
  return body.data;
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export const instantQuery = (prometheus: Prometheus, expr: string) =>
  prometheusApi<{ result: PromSample[] }>(prometheus, `/api/v1/query?query=${encodeURIComponent(expr)}`).then((d) => d.result);

export interface PromAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
}

export const activeAlerts = (prometheus: Prometheus) => prometheusApi<{ alerts: PromAlert[] }>(prometheus, '/api/v1/alerts').then((d) => d.alerts);

export interface PromRule {
  name: string;
  health: string;
  lastError?: string;
}

export const ruleHealth = (prometheus: Prometheus) =>
  prometheusApi<{ groups: { rules: PromRule[] }[] }>(prometheus, '/api/v1/rules').then((d) => d.groups.flatMap((g) => g.rules));

/** Ends the Prometheus this test started (its own pid, never a search by name). */
export async function stopPrometheus(prometheus: Prometheus | undefined): Promise<void> {
  const child = prometheus?.process;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
