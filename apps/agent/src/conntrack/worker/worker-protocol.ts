/*
 * Messages between ConntrackWorker (main thread) and the conntrack worker
 * thread. Plain data only: postMessage clones them, and the index columns
 * are transferred.
 */
import type { ConntrackMapFds } from '../conntrack-maps.js';
import type { EndFlowsReport } from '../end-flows.js';
import type { FlowIndexColumns } from '../flow-index.js';
import type { SweepReport } from '../sweep.js';
import type { FlowTimeouts } from '../timeouts.js';

export type WorkerJob =
  /**
   * `nowNs` undefined: the worker's clock when the scan starts. `lastDrift`: ActiveRecounter's state.
   * `buildIndex`: false when nobody pages the connection table (the reply then carries no index).
   */
  | { kind: 'sweep'; nowNs: bigint | undefined; timeouts: FlowTimeouts; lastDrift: [number, number][]; buildIndex: boolean }
  | { kind: 'index' }
  /** Delete every flow of these backend ids; a fresh index follows. */
  | { kind: 'end-flows'; backendIds: number[] };

export interface WorkerRequest {
  id: number;
  fds: ConntrackMapFds;
  job: WorkerJob;
}

export interface SweepOutcome {
  report: SweepReport;
  lastDrift: [number, number][];
}

export type WorkerReply =
  | { id: number; ok: true; index: FlowIndexColumns | undefined; sweep?: SweepOutcome; ended?: EndFlowsReport }
  /* An Error's own class does not survive cloning: name, message and stack are sent as strings. */
  | { id: number; ok: false; error: { name: string; message: string; stack?: string } };
