/* Connection tracking housekeeping: what the rest of the agent may import. */
export { ConntrackGc, type ConntrackGcOptions, DEFAULT_GC_INTERVAL_MS } from './conntrack-gc.js';
export type { SweepReport } from './sweep.js';
export { DEFAULT_FLOW_TIMEOUTS, type FlowTimeouts } from './timeouts.js';
export { endFlows, type EndFlowsReport, type FlowSummary } from './end-flows.js';
export { workerFor } from './worker/conntrack-worker.js';
export {
  CursorError,
  type FlowFilter,
  type FlowPage,
  type FlowView,
  type ListFlowsOptions,
  MAX_FLOW_PAGE,
  awaitFlowIndex,
  listFlows,
  refreshFlowIndex,
} from './list-flows.js';
export { activeByBackend, type ActiveCorrection } from './active-counts.js';
export { FLOW_STATES, type FlowState } from './flow-bytes.js';
export { HandshakeFailureLedger, type HandshakeFailures } from './handshake-failures.js';
