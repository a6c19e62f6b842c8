/* Messages between the agent's thread and the probe thread: batches either way, one postMessage a turn. */
import type { ProbeRequest, ProbeResult } from '../types.js';

export interface ProbeJob {
  id: number;
  request: ProbeRequest;
}

export interface ProbeReply {
  id: number;
  result: ProbeResult;
}
