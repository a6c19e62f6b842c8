/* HTTP load with wrk from the client namespace: requests/s and p50/p99 latency. */
import { inNamespace } from '../processes.js';

export interface HttpResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: string | undefined;
}

/* wrk's own load shape: 2 threads (the machine has 2 cores), 32 connections. */
const THREADS = 2;
const CONNECTIONS = 32;

function toMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!match) return Number.NaN;
  const value = Number(match[1]);
  return match[2] === 'us' ? value / 1000 : match[2] === 'ms' ? value : match[2] === 's' ? value * 1000 : value * 60_000;
}

export async function runWrk(clientNs: string, url: string, seconds: number, newConnectionPerRequest: boolean): Promise<HttpResult> {
  const args = ['-t', String(THREADS), '-c', String(CONNECTIONS), '-d', `${seconds}s`, '--latency', '--timeout', '2s'];
  if (newConnectionPerRequest) args.push('-H', 'Connection: close');
  args.push(url);
  const result = await inNamespace(clientNs, 'wrk', args, seconds * 1000 + 20_000);
  const out = result.stdout;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN);
  const p50 = toMs(/^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? '');
  const p99 = toMs(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? '');
  const problems = [/Socket errors:.*/.exec(out)?.[0], /Non-2xx or 3xx responses:.*/.exec(out)?.[0]].filter(Boolean);
  if (result.code !== 0 || !Number.isFinite(rps)) problems.push(`wrk failed (${result.code ?? result.signal}): ${result.stderr.trim() || out.trim()}`);
  return { rps, p50Ms: p50, p99Ms: p99, errors: problems.length ? problems.join('; ') : undefined };
}
