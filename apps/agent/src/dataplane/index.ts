/* The agent's data-plane layer: everything other parts of the agent may import. */
export { type Dataplane, type LoadOptions, PROGRAM_NAME, loadDataplane } from './object.js';
export { type PinnedMaps, openPinnedMaps } from './pinned.js';
export { DEFAULT_PIN_DIR, ensureBpffs, isBpffs, unpinAll } from './bpffs.js';
export { type DataplaneMaps, MAP_NAMES, MAP_SPECS, type MapName } from './dataplane-maps.js';
export { BpfMap, PerCpuMap, UpdateFlag, numPossibleCpus, sumPerCpu } from './maps.js';
export { type Codec, decode, encode, structCodec, u32Codec, u64Codec } from './codec.js';
export { type AddressBytes, type AddressFamily, addressToBytes, bytesToAddress } from './addresses.js';
export { DataplaneError, errnoName } from './errors.js';
export { type TestRunOptions, type TestRunResult } from './test-run.js';
export { type XdpMode, interfaceIndex } from './xdp.js';
export { XdpAction } from './libbpf.js';
export { type LibbpfMessage, onLibbpfMessage } from './libbpf-log.js';
export * from './generated/layout.js';
