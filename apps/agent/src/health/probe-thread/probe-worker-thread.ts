/*
 * The probe thread: makes each probe it is sent and posts the results back,
 * those finished in one turn together. A probe's socket, timer and promises
 * are garbage here, collected on this thread's heap, not the agent's.
 */
import { parentPort } from 'node:worker_threads';
import { runProbe } from '../network-probe.js';
import type { ProbeJob, ProbeReply } from './probe-protocol.js';

const port = parentPort!;
let replies: ProbeReply[] = [];

function reply(id: number, result: ProbeReply['result']): void {
  if (replies.length === 0) setImmediate(flush);
  replies.push({ id, result });
}

function flush(): void {
  const batch = replies;
  replies = [];
  port.postMessage(batch);
}

port.on('message', (jobs: ProbeJob[]) => {
  for (const { id, request } of jobs)
    runProbe(request).then(
      (result) => reply(id, result),
      (error: unknown) => reply(id, { ok: false, latencyMs: 0, error: `probe failed: ${(error as Error).message}` }),
    );
});
