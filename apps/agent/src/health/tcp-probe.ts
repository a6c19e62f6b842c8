/*
 * TCP check: the backend accepts a connection within the timeout. From a
 * given local port (a data-path probe, probe-steering.ts) the connection
 * ends with a reset: the port is reused for the next probe to the same
 * VIP:port, which a TIME_WAIT left by a normal close would refuse.
 */
import { connect } from 'node:net';
import type { ProbeResult } from './types.js';
import { describeError } from './probe-errors.js';

export function tcpProbe(address: string, port: number, timeoutMs: number, localPort?: number): Promise<ProbeResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect({ host: address, port, ...(localPort === undefined ? {} : { localPort }) });
    const finish = (error: string | null) => {
      clearTimeout(timer);
      if (localPort !== undefined && socket.readyState === 'open') socket.resetAndDestroy();
      else socket.destroy();
      resolve({ ok: error === null, latencyMs: performance.now() - started, error });
    };
    const timer = setTimeout(() => finish(`no connection within ${timeoutMs} ms`), timeoutMs);
    socket.once('connect', () => finish(null));
    socket.once('error', (err) => finish(describeError(err)));
  });
}
