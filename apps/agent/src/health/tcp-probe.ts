/* TCP check: the backend accepts a connection within the timeout. */
import { connect } from 'node:net';
import type { ProbeResult } from './types.js';
import { describeError } from './probe-errors.js';

export function tcpProbe(address: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    const finish = (error: string | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ok: error === null, latencyMs: performance.now() - started, error });
    };
    const timer = setTimeout(() => finish(`no connection within ${timeoutMs} ms`), timeoutMs);
    socket.once('connect', () => finish(null));
    socket.once('error', (err) => finish(describeError(err)));
  });
}
