/*
 * The maps of the sluice_xdp program, each with its kind and the structs of
 * its key and value. Opening them checks every map against this table, so a
 * program built from a different header fails loudly at load instead of
 * writing misaligned bytes.
 */
import { constants as osConstants } from 'node:os';
import { type Codec, rawBytesCodec, structCodec, u32Codec, u64Codec } from './codec.js';
import { DataplaneError } from './errors.js';
import {
  type Backend,
  type BackendErrors,
  type BackendNextHop,
  type ClientRateKey,
  type ClientRateWindow,
  type EndpointOwners,
  type ExpirySettings,
  type TunnelSettings,
  type FloodSettings,
  type NewFlowWindow,
  type FlowKey,
  type FlowValue,
  type LookupTable,
  type ServiceConfig,
  type ServiceKey,
  type TrafficCounters,
  type VipKey,
  backendLayout,
  backendErrorsLayout,
  backendNextHopLayout,
  clientRateKeyLayout,
  clientRateWindowLayout,
  endpointOwnersLayout,
  expirySettingsLayout,
  floodSettingsLayout,
  tunnelSettingsLayout,
  newFlowWindowLayout,
  flowKeyLayout,
  flowValueLayout,
  lookupTableLayout,
  serviceConfigLayout,
  serviceKeyLayout,
  trafficCountersLayout,
  vipKeyLayout,
} from './generated/layout.js';
import { BpfMapType, mapTypeName } from './libbpf.js';
import { BpfMap, type FdOwner, type MapInfo, PerCpuMap } from './maps.js';

interface MapSpec {
  type: BpfMapType;
  /* any: each entry has its own key and value types; DataplaneMaps below restores them. */
  key: Codec<any>;
  value: Codec<any>;
  keyType: string;
  valueType: string;
}

/** Every map by its name in the C source. */
export const MAP_SPECS = {
  services: {
    type: BpfMapType.HASH,
    key: structCodec(serviceKeyLayout),
    value: structCodec(serviceConfigLayout),
    keyType: 'struct service_key',
    valueType: 'struct service_config',
  },
  vips: { type: BpfMapType.HASH, key: structCodec(vipKeyLayout), value: u32Codec, keyType: 'struct vip_key', valueType: '__u32' },
  service_vips: { type: BpfMapType.ARRAY, key: u32Codec, value: structCodec(serviceKeyLayout), keyType: '__u32', valueType: 'struct service_key' },
  backends: { type: BpfMapType.ARRAY, key: u32Codec, value: structCodec(backendLayout), keyType: '__u32', valueType: 'struct backend' },
  backend_endpoints: {
    type: BpfMapType.HASH,
    key: structCodec(serviceKeyLayout),
    value: structCodec(endpointOwnersLayout),
    keyType: 'struct service_key',
    valueType: 'struct endpoint_owners',
  },
  endpoint_filter: { type: BpfMapType.ARRAY, key: u32Codec, value: u64Codec, keyType: '__u32', valueType: '__u64' },
  endpoint_slots: { type: BpfMapType.ARRAY, key: u32Codec, value: u32Codec, keyType: '__u32', valueType: '__u32' },
  vip_filter: { type: BpfMapType.ARRAY, key: u32Codec, value: u64Codec, keyType: '__u32', valueType: '__u64' },
  lookup_tables: { type: BpfMapType.ARRAY, key: u32Codec, value: structCodec(lookupTableLayout), keyType: '__u32', valueType: 'struct lookup_table' },
  rr_cursors: { type: BpfMapType.ARRAY, key: u32Codec, value: u64Codec, keyType: '__u32', valueType: '__u64' },
  backend_active: { type: BpfMapType.ARRAY, key: u32Codec, value: u64Codec, keyType: '__u32', valueType: '__u64' },
  backend_next_hops: {
    type: BpfMapType.PERCPU_ARRAY,
    key: u32Codec,
    value: structCodec(backendNextHopLayout),
    keyType: '__u32',
    valueType: 'struct backend_next_hop',
  },
  flows: {
    type: BpfMapType.LRU_HASH,
    key: structCodec(flowKeyLayout),
    value: structCodec(flowValueLayout),
    keyType: 'struct flow_key',
    valueType: 'struct flow_value',
  },
  half_open_flows: {
    type: BpfMapType.LRU_HASH,
    key: structCodec(flowKeyLayout),
    value: structCodec(flowValueLayout),
    keyType: 'struct flow_key',
    valueType: 'struct flow_value',
  },
  awaited_flows: { type: BpfMapType.LRU_HASH, key: structCodec(flowKeyLayout), value: u64Codec, keyType: 'struct flow_key', valueType: '__u64' },
  client_rates: {
    type: BpfMapType.LRU_HASH,
    key: structCodec(clientRateKeyLayout),
    value: structCodec(clientRateWindowLayout),
    keyType: 'struct client_rate_key',
    valueType: 'struct client_rate_window',
  },
  flood_settings: { type: BpfMapType.ARRAY, key: u32Codec, value: structCodec(floodSettingsLayout), keyType: '__u32', valueType: 'struct flood_settings' },
  expiry_settings: { type: BpfMapType.ARRAY, key: u32Codec, value: structCodec(expirySettingsLayout), keyType: '__u32', valueType: 'struct expiry_settings' },
  tunnel_settings: { type: BpfMapType.ARRAY, key: u32Codec, value: structCodec(tunnelSettingsLayout), keyType: '__u32', valueType: 'struct tunnel_settings' },
  new_flow_windows: {
    type: BpfMapType.PERCPU_ARRAY,
    key: u32Codec,
    value: structCodec(newFlowWindowLayout),
    keyType: '__u32',
    valueType: 'struct new_flow_window',
  },
  /* Scratch: a new flow's entry while the program fills it (maps.h); the agent never reads it. */
  flow_drafts: { type: BpfMapType.PERCPU_ARRAY, key: u32Codec, value: structCodec(flowValueLayout), keyType: '__u32', valueType: 'struct flow_value' },
  global_counters: { type: BpfMapType.PERCPU_ARRAY, key: u32Codec, value: u64Codec, keyType: '__u32', valueType: '__u64' },
  service_counters: {
    type: BpfMapType.PERCPU_ARRAY,
    key: u32Codec,
    value: structCodec(trafficCountersLayout),
    keyType: '__u32',
    valueType: 'struct traffic_counters',
  },
  backend_counters: {
    type: BpfMapType.PERCPU_ARRAY,
    key: u32Codec,
    value: structCodec(trafficCountersLayout),
    keyType: '__u32',
    valueType: 'struct traffic_counters',
  },
  handover: { type: BpfMapType.ARRAY, key: u32Codec, value: u64Codec, keyType: '__u32', valueType: '__u64' },
  backend_errors: {
    type: BpfMapType.PERCPU_ARRAY,
    key: u32Codec,
    value: structCodec(backendErrorsLayout),
    keyType: '__u32',
    valueType: 'struct backend_errors',
  },
} satisfies Record<string, MapSpec>;

export type MapName = keyof typeof MAP_SPECS;
export const MAP_NAMES = Object.keys(MAP_SPECS) as MapName[];

export interface DataplaneMaps {
  /** VIP:port:protocol -> service settings (HASH, max MAX_SERVICES). */
  services: BpfMap<ServiceKey, ServiceConfig>;
  /** VIP address -> number of services on it (HASH). */
  vips: BpfMap<VipKey, number>;
  /** Service id -> its VIP:port (ARRAY). */
  serviceVips: BpfMap<number, ServiceKey>;
  /** Backend id -> backend (ARRAY). */
  backends: BpfMap<number, Backend>;
  /** Backend address:port:protocol -> the (service, backend id) pairs it serves (HASH): the reply path. */
  backendEndpoints: BpfMap<ServiceKey, EndpointOwners>;
  /** Bit per hash of a backend endpoint: which packets may be replies (ARRAY of u64). */
  endpointFilter: BpfMap<number, bigint>;
  /** Filter bit -> 1 + the backend id of the one endpoint there serving one service, else 0 (ARRAY): the reply's shortcut. */
  endpointSlots: BpfMap<number, number>;
  /** Bit per hash of a VIP address: which packets may be for a service (ARRAY of u64). */
  vipFilter: BpfMap<number, bigint>;
  /** service id * 2 + slot -> lookup table (ARRAY). */
  lookupTables: BpfMap<number, LookupTable>;
  /** Service id -> round-robin position (ARRAY). */
  rrCursors: BpfMap<number, bigint>;
  /** Backend id -> open flows (ARRAY). */
  backendActive: BpfMap<number, bigint>;
  /** Backend id -> the next hop toward it, per CPU; only the data plane writes it (PERCPU_ARRAY). */
  backendNextHops: PerCpuMap<number, BackendNextHop>;
  /** Connection tracking, one entry per flow keyed client -> VIP (LRU_HASH). */
  flows: BpfMap<FlowKey, FlowValue>;
  /** TCP flows from the SYN to the client's next packet, keyed like flows (LRU_HASH). */
  halfOpenFlows: BpfMap<FlowKey, FlowValue>;
  /** Flow key -> when (ktime ns) a packet of it first missed while the sync peer's event for it may be on the way (LRU_HASH; await_peer.h). */
  awaitedFlows: BpfMap<FlowKey, bigint>;
  /** (service id, client address) -> new connections in the client's current window (LRU_HASH, shared by CPUs). */
  clientRates: BpfMap<ClientRateKey, ClientRateWindow>;
  /** 0 -> flood settings (ARRAY of one). */
  floodSettings: BpfMap<number, FloodSettings>;
  /** 0 -> flow idle timeouts in ns, the GC's (ARRAY of one; zero: no expiry in the data plane). */
  expirySettings: BpfMap<number, ExpirySettings>;
  tunnelSettings: BpfMap<number, TunnelSettings>;
  /** 0 -> new flows in this CPU's current window, per CPU (PERCPU_ARRAY). */
  newFlowWindows: PerCpuMap<number, NewFlowWindow>;
  /** 0 -> a new flow's entry while the program fills it, per CPU (PERCPU_ARRAY): scratch, read by nothing here. */
  flowDrafts: PerCpuMap<number, FlowValue>;
  /** enum sluice_counter -> packets, per CPU (PERCPU_ARRAY). */
  globalCounters: PerCpuMap<number, bigint>;
  /** Service id -> traffic counters, per CPU (PERCPU_ARRAY). */
  serviceCounters: PerCpuMap<number, TrafficCounters>;
  /** Backend id -> traffic counters, per CPU (PERCPU_ARRAY). */
  backendCounters: PerCpuMap<number, TrafficCounters>;
  /** [0]: until when (ktime ns) an upgrade is still copying flows; 0 otherwise (ARRAY of one u64). */
  handover: BpfMap<number, bigint>;
  /** Backend id -> drops by reason (enum sluice_backend_drop) after it was chosen, and resets it sent, per CPU (PERCPU_ARRAY). */
  backendErrors: PerCpuMap<number, BackendErrors>;
}

/**
 * Check a map's kind and sizes against MAP_SPECS. `source` names where the
 * sizes came from (bpf_map__key_size after open, or bpf_obj_get_info_by_fd
 * for a pinned map).
 */
export function checkMapShape(name: MapName, info: MapInfo, source: 'bpf_map' | 'bpf_obj_get_info_by_fd', checkValue = true): void {
  const spec: MapSpec = MAP_SPECS[name];
  const subject = `map "${name}"`;
  const fail = (call: string, detail: string): never => {
    throw new DataplaneError({ call, subject, errno: osConstants.errno.EINVAL, detail });
  };
  /*
   * A pinned map that disagrees was left by another build of the data plane
   * (an upgrade), not by a stale layout. Only read-only tools get here: the
   * agent migrates such maps at start (migrate.ts).
   */
  const hint =
    source === 'bpf_map'
      ? 'the object and generated/layout.ts disagree; rebuild bpf/ and run `pnpm gen:layout`'
      : "the pinned maps come from another build of the data plane; start this build's agent, which migrates them and keeps every flow";
  if (info.type !== spec.type) {
    fail(source === 'bpf_map' ? 'bpf_map__type' : source, `is ${mapTypeName(info.type)}, the agent expects ${mapTypeName(spec.type)}`);
  }
  if (info.keySize !== spec.key.size) {
    fail(source === 'bpf_map' ? 'bpf_map__key_size' : source, `key_size is ${info.keySize} but ${spec.keyType} is ${spec.key.size} bytes; ${hint}`);
  }
  /* A per-CPU map's value_size is that of one CPU's copy. */
  if (checkValue && info.valueSize !== spec.value.size) {
    fail(source === 'bpf_map' ? 'bpf_map__value_size' : source, `value_size is ${info.valueSize} but ${spec.valueType} is ${spec.value.size} bytes; ${hint}`);
  }
}

/** Build the typed accessors from each map's info (shapes must already be checked). */
export function createDataplaneMaps(infoOf: (name: MapName) => MapInfo, owner: FdOwner): DataplaneMaps {
  const spec = (name: MapName): MapSpec => MAP_SPECS[name];
  /* Only a raw value map (LoadOptions.rawValueMaps) gets here with another value size: its batches are sized by the kernel's. */
  const valueCodecOf = (name: MapName, info: MapInfo): Codec<any> =>
    info.valueSize === spec(name).value.size ? spec(name).value : rawBytesCodec(info.valueSize);
  const plain = <K, V>(name: MapName) => {
    const info = infoOf(name);
    return new BpfMap<K, V>(info, spec(name).key, valueCodecOf(name, info), owner);
  };
  const perCpu = <K, V>(name: MapName) => {
    const info = infoOf(name);
    return new PerCpuMap<K, V>(info, spec(name).key, valueCodecOf(name, info), owner);
  };
  return {
    services: plain('services'),
    vips: plain('vips'),
    serviceVips: plain('service_vips'),
    backends: plain('backends'),
    backendEndpoints: plain('backend_endpoints'),
    endpointFilter: plain('endpoint_filter'),
    endpointSlots: plain('endpoint_slots'),
    vipFilter: plain('vip_filter'),
    lookupTables: plain('lookup_tables'),
    rrCursors: plain('rr_cursors'),
    backendActive: plain('backend_active'),
    backendNextHops: perCpu('backend_next_hops'),
    flows: plain('flows'),
    halfOpenFlows: plain('half_open_flows'),
    awaitedFlows: plain('awaited_flows'),
    clientRates: plain('client_rates'),
    floodSettings: plain('flood_settings'),
    expirySettings: plain('expiry_settings'),
    tunnelSettings: plain('tunnel_settings'),
    newFlowWindows: perCpu('new_flow_windows'),
    flowDrafts: perCpu('flow_drafts'),
    globalCounters: perCpu('global_counters'),
    serviceCounters: perCpu('service_counters'),
    backendCounters: perCpu('backend_counters'),
    handover: plain('handover'),
    backendErrors: perCpu('backend_errors'),
  };
}
