/* A probe request made here, on whichever thread calls it: the checker's own, or the probe thread's. */
import { httpProbe } from './http-probe.js';
import { tcpProbe } from './tcp-probe.js';
import type { ProbeRequest, ProbeResult } from './types.js';

export function runProbe(request: ProbeRequest): Promise<ProbeResult> {
  if (request.kind === 'http') {
    const { kind: _kind, ...options } = request;
    return httpProbe(options);
  }
  return tcpProbe(request.address, request.port, request.timeoutMs, request.localPort);
}
