/*
 * @sluice/dataplane: the XDP program's maps and object as the agent, tests and
 * bench use them (typed maps, load/pin/attach, test-run). The raw bindings for
 * hot loops that work on map bytes are separate entry points:
 * `@sluice/dataplane/libbpf` and `@sluice/dataplane/libc`.
 */
export { type Dataplane, type LoadOptions, PROGRAM_NAME, loadDataplane } from './object.js';
export { type PinnedMaps, openPinnedMaps } from './pinned.js';
export { BUILD_RECORD } from './running-build.js';
export type { TunableName, Tunables } from './tunables.js';
export { DEFAULT_PIN_DIR, ensureBpffs, isBpffs, unpinAll } from './bpffs.js';
export { type DataplaneMaps, MAP_NAMES, MAP_SPECS, type MapName } from './dataplane-maps.js';
export { BatchBuffers, BpfMap, type MapInfo, PerCpuMap, UpdateFlag, numPossibleCpus, sumPerCpu } from './maps.js';
export { type Codec, decode, encode, structCodec, u32Codec, u64Codec } from './codec.js';
export { type AddressBytes, type AddressFamily, addressToBytes, bytesToAddress } from './addresses.js';
export { DataplaneError, checked, checkedPointer, errnoName } from './errors.js';
export { type TcTestRunOptions, type TestRunOptions, type TestRunResult, testRunTc, testRunXdp } from './test-run.js';
export { type DecapMaps, type DecapProgram, type DecapLoadOptions, DECAP_PROGRAMS, loadDecap, readPinnedDecapCounters } from './decap.js';
export { VERIFIER_INSTRUCTION_LIMIT, programIdOfFd, verifiedInstructionsOfFd } from './program-info.js';
export { type XdpMode, attachedProgramId, attachXdp, detachXdp, interfaceIndex, replaceXdp } from './xdp.js';
export { type TcDirection, type TcFilterId, attachTc, attachTcIngress, detachTc, detachTcIngress, tcIngressProgramId, tcProgramId } from './tc.js';
export {
  type HealthSteerLoadOptions,
  type HealthSteerMaps,
  type HealthSteerProgram,
  HEALTH_STEER_PROGRAM,
  loadHealthSteer,
} from './health-steer.js';
export { XdpAction } from './libbpf.js';
export { type DecodedFlowEvent, FLOW_EVENT_SIZE, FlowEventReader, RING_NAMES, decodeFlowEvent } from './flow-events.js';
export { type LibbpfMessage, onLibbpfMessage } from './libbpf-log.js';
export type { StructLayout } from './layout-types.js';
export * from './generated/layout.js';
export * from './generated/decap-layout.js';
export * from './generated/health-layout.js';
