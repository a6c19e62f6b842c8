/*
 * HTTP check: GET the path on a new connection (no keep-alive, so every
 * probe also proves the backend still accepts connections) and expect a
 * status in range. The whole exchange up to the status line is bounded by
 * the timeout; the body is not read. From a given local port (a data-path
 * probe) the connection ends with a reset, as tcp-probe.ts says why.
 */
import { request } from 'node:http';
import { isIPv6 } from 'node:net';
import type { ProbeResult } from './types.js';
import { describeError } from './probe-errors.js';

export const DEFAULT_HTTP_PATH = '/';
export const DEFAULT_EXPECT_STATUS: [number, number] = [200, 399];

export interface HttpProbeOptions {
  address: string;
  port: number;
  timeoutMs: number;
  path?: string;
  expectStatus?: [number, number];
  /** The local port to connect from (a data-path probe); the Host header still names address:port. */
  localPort?: number;
}

export function httpProbe(options: HttpProbeOptions): Promise<ProbeResult> {
  const { address, port, timeoutMs } = options;
  const path = options.path ?? DEFAULT_HTTP_PATH;
  const [low, high] = options.expectStatus ?? DEFAULT_EXPECT_STATUS;
  const host = isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
  const started = performance.now();
  return new Promise((resolve) => {
    let done = false;
    const finish = (error: string | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const socket = req.socket;
      if (options.localPort !== undefined && socket && !socket.destroyed && socket.readyState === 'open') socket.resetAndDestroy();
      req.destroy();
      resolve({ ok: error === null, latencyMs: performance.now() - started, error });
    };
    const req = request({
      host: address,
      port,
      path,
      method: 'GET',
      agent: false,
      ...(options.localPort === undefined ? {} : { localPort: options.localPort }),
      headers: { Host: host, Connection: 'close', 'User-Agent': 'sluice-health-check' },
    });
    const timer = setTimeout(() => finish(`no HTTP response within ${timeoutMs} ms`), timeoutMs);
    req.once('response', (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      finish(status >= low && status <= high ? null : `HTTP status ${status}, expected ${low}-${high}`);
    });
    req.once('error', (err) => finish(describeError(err)));
    req.end();
  });
}
