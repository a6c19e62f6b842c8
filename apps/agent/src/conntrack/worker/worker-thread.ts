/*
 * The conntrack worker thread: runs the jobs that read the whole flow table
 * (a sweep, an index build, ending a backend's flows), seconds of work at a million flows, away from
 * the agent's event loop. Jobs arrive one at a time (conntrack-worker.ts);
 * each reply moves the new index's columns back without copying them.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { ActiveRecounter } from '../active-counts.js';
import { openMapFds } from '../conntrack-maps.js';
import { type EndFlowsReport, endFlows } from '../end-flows.js';
import { type FlowIndex, FlowIndexBuilder, columnsOf, transferablesOf } from '../flow-index.js';
import { buildFlowIndex } from '../scan.js';
import { sweepFlows } from '../sweep.js';
import { TimeoutTable } from '../timeouts.js';
import type { SweepOutcome, WorkerJob, WorkerReply, WorkerRequest } from './worker-protocol.js';

if (!parentPort) throw new Error('worker-thread.ts runs as a worker thread (see conntrack-worker.ts)');
const port = parentPort;

/*
 * Housekeeping yields the CPU to the agent's event loop: on a two-core box
 * a sweep at nice 0 can keep the main thread waiting for a core for 100 ms
 * and more. Linux applies a thread id's nice value to that thread alone.
 */
const WORKER_NICE = 10;
try {
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  setPriority(tid, WORKER_NICE);
} catch {
  /* No /proc, or not allowed: the sweep still runs off the event loop, only at the same priority. */
}

function run(request: WorkerRequest): { index: FlowIndex | undefined; sweep?: SweepOutcome; ended?: EndFlowsReport } {
  const maps = openMapFds(request.fds);
  const job: WorkerJob = request.job;
  if (job.kind === 'index') return { index: buildFlowIndex(maps) };
  if (job.kind === 'end-flows') {
    const ids = new Set(job.backendIds);
    /* One scan: the flows that stay make the index, so pages stop showing the ended ones once it is published. */
    const kept = new FlowIndexBuilder();
    const ended = endFlows(maps, (flow) => ids.has(flow.backendId), kept);
    return { index: kept.finish(), ended };
  }
  const recounter = new ActiveRecounter(job.lastDrift);
  const { report, index } = sweepFlows(maps, new TimeoutTable(job.timeouts), recounter, job.nowNs ?? process.hrtime.bigint(), undefined, job.buildIndex);
  return { index, sweep: { report, lastDrift: recounter.lastDrift } };
}

port.on('message', (request: WorkerRequest) => {
  let reply: WorkerReply;
  let transfer: ArrayBuffer[] = [];
  try {
    const { index, sweep, ended } = run(request);
    const columns = index && columnsOf(index);
    if (columns) transfer = transferablesOf(columns);
    reply = { id: request.id, ok: true, index: columns, sweep, ended };
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    reply = { id: request.id, ok: false, error: { name: error.name, message: error.message, stack: error.stack } };
  }
  port.postMessage(reply, transfer);
});
