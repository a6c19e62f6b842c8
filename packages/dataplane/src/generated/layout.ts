// generated — do not edit; regenerate with `pnpm gen:layout`
// Structs from the compiled program's BTF, checked against bpf/include/sluice_shared.h; enums from that header.
import type { StructLayout } from '../layout-types.js';

/** struct vip_key (20 bytes) */
export interface VipKey {
  addr: Buffer;
  family: number;
  pad?: Uint8Array;
}

export const vipKeyLayout: StructLayout<VipKey> = {
  name: 'vip_key',
  size: 20,
  members: [
    { name: 'addr', offset: 0, kind: 'be32', length: 4 },
    { name: 'family', offset: 16, kind: 'u8' },
    { name: 'pad', offset: 17, kind: 'u8', length: 3 },
  ],
};

/** struct service_key (20 bytes) */
export interface ServiceKey {
  addr: Buffer;
  port: number;
  protocol: number;
  family: number;
}

export const serviceKeyLayout: StructLayout<ServiceKey> = {
  name: 'service_key',
  size: 20,
  members: [
    { name: 'addr', offset: 0, kind: 'be32', length: 4 },
    { name: 'port', offset: 16, kind: 'be16' },
    { name: 'protocol', offset: 18, kind: 'u8' },
    { name: 'family', offset: 19, kind: 'u8' },
  ],
};

/** struct service_config (16 bytes) */
export interface ServiceConfig {
  id: number;
  sequence_length: number;
  algorithm: number;
  mode: number;
  active_table: number;
  flags: number;
  client_rate: number;
}

export const serviceConfigLayout: StructLayout<ServiceConfig> = {
  name: 'service_config',
  size: 16,
  members: [
    { name: 'id', offset: 0, kind: 'u32' },
    { name: 'sequence_length', offset: 4, kind: 'u32' },
    { name: 'algorithm', offset: 8, kind: 'u8' },
    { name: 'mode', offset: 9, kind: 'u8' },
    { name: 'active_table', offset: 10, kind: 'u8' },
    { name: 'flags', offset: 11, kind: 'u8' },
    { name: 'client_rate', offset: 12, kind: 'u32' },
  ],
};

/** struct backend (28 bytes) */
export interface Backend {
  addr: Buffer;
  port: number;
  family: number;
  flags: number;
  service_id: number;
  weight: number;
}

export const backendLayout: StructLayout<Backend> = {
  name: 'backend',
  size: 28,
  members: [
    { name: 'addr', offset: 0, kind: 'be32', length: 4 },
    { name: 'port', offset: 16, kind: 'be16' },
    { name: 'family', offset: 18, kind: 'u8' },
    { name: 'flags', offset: 19, kind: 'u8' },
    { name: 'service_id', offset: 20, kind: 'u32' },
    { name: 'weight', offset: 24, kind: 'u32' },
  ],
};

/** struct lookup_table (131074 bytes) */
export interface LookupTable {
  slots: Uint16Array;
}

export const lookupTableLayout: StructLayout<LookupTable> = {
  name: 'lookup_table',
  size: 131074,
  members: [{ name: 'slots', offset: 0, kind: 'u16', length: 65537 }],
};

/** struct flow_key (40 bytes) */
export interface FlowKey {
  src: Buffer;
  dst: Buffer;
  src_port: number;
  dst_port: number;
  protocol: number;
  family: number;
  pad?: number;
}

export const flowKeyLayout: StructLayout<FlowKey> = {
  name: 'flow_key',
  size: 40,
  members: [
    { name: 'src', offset: 0, kind: 'be32', length: 4 },
    { name: 'dst', offset: 16, kind: 'be32', length: 4 },
    { name: 'src_port', offset: 32, kind: 'be16' },
    { name: 'dst_port', offset: 34, kind: 'be16' },
    { name: 'protocol', offset: 36, kind: 'u8' },
    { name: 'family', offset: 37, kind: 'u8' },
    { name: 'pad', offset: 38, kind: 'u16' },
  ],
};

/** struct backend_next_hop (56 bytes) */
export interface BackendNextHop {
  addr: Buffer;
  mode: number;
  pad?: number;
  checked_ns: bigint;
  ifindex: number;
  max_len: number;
  macs: Uint8Array;
}

export const backendNextHopLayout: StructLayout<BackendNextHop> = {
  name: 'backend_next_hop',
  size: 56,
  members: [
    { name: 'addr', offset: 0, kind: 'be32', length: 4 },
    { name: 'mode', offset: 16, kind: 'u32' },
    { name: 'pad', offset: 20, kind: 'u32' },
    { name: 'checked_ns', offset: 24, kind: 'u64' },
    { name: 'ifindex', offset: 32, kind: 'u32' },
    { name: 'max_len', offset: 36, kind: 'u16' },
    { name: 'macs', offset: 38, kind: 'u8', length: 12 },
  ],
};

/** struct flow_value (104 bytes) */
export interface FlowValue {
  last_seen_ns: bigint;
  packets: bigint;
  bytes: bigint;
  backend_id: number;
  service_id: number;
  tcp_state: number;
  flags: number;
  reply_next_hop_checked_ns: bigint;
  reply_next_hop_ifindex: number;
  reply_next_hop_max_len: number;
  reply_next_hop_macs: Uint8Array;
  reply_packets: bigint;
  reply_bytes: bigint;
  created_ns: bigint;
  syn_seq: number;
  pad?: number;
}

export const flowValueLayout: StructLayout<FlowValue> = {
  name: 'flow_value',
  size: 104,
  members: [
    { name: 'last_seen_ns', offset: 0, kind: 'u64' },
    { name: 'packets', offset: 8, kind: 'u64' },
    { name: 'bytes', offset: 16, kind: 'u64' },
    { name: 'backend_id', offset: 24, kind: 'u32' },
    { name: 'service_id', offset: 28, kind: 'u32' },
    { name: 'tcp_state', offset: 32, kind: 'u32' },
    { name: 'flags', offset: 36, kind: 'u32' },
    { name: 'reply_next_hop_checked_ns', offset: 40, kind: 'u64' },
    { name: 'reply_next_hop_ifindex', offset: 48, kind: 'u32' },
    { name: 'reply_next_hop_max_len', offset: 52, kind: 'u16' },
    { name: 'reply_next_hop_macs', offset: 54, kind: 'u8', length: 12 },
    { name: 'reply_packets', offset: 72, kind: 'u64' },
    { name: 'reply_bytes', offset: 80, kind: 'u64' },
    { name: 'created_ns', offset: 88, kind: 'u64' },
    { name: 'syn_seq', offset: 96, kind: 'be32' },
    { name: 'pad', offset: 100, kind: 'u32' },
  ],
};

/** struct endpoint_owners (132 bytes) */
export interface EndpointOwners {
  count: number;
  service_ids: Uint32Array;
  backend_ids: Uint32Array;
}

export const endpointOwnersLayout: StructLayout<EndpointOwners> = {
  name: 'endpoint_owners',
  size: 132,
  members: [
    { name: 'count', offset: 0, kind: 'u32' },
    { name: 'service_ids', offset: 4, kind: 'u32', length: 16 },
    { name: 'backend_ids', offset: 68, kind: 'u32', length: 16 },
  ],
};

/** struct flood_settings (8 bytes) */
export interface FloodSettings {
  new_flow_rate_per_cpu: bigint;
}

export const floodSettingsLayout: StructLayout<FloodSettings> = {
  name: 'flood_settings',
  size: 8,
  members: [{ name: 'new_flow_rate_per_cpu', offset: 0, kind: 'u64' }],
};

/** struct expiry_settings (40 bytes) */
export interface ExpirySettings {
  tcp_syn_sent_ns: bigint;
  tcp_established_ns: bigint;
  tcp_fin_wait_ns: bigint;
  tcp_closed_ns: bigint;
  udp_ns: bigint;
}

export const expirySettingsLayout: StructLayout<ExpirySettings> = {
  name: 'expiry_settings',
  size: 40,
  members: [
    { name: 'tcp_syn_sent_ns', offset: 0, kind: 'u64' },
    { name: 'tcp_established_ns', offset: 8, kind: 'u64' },
    { name: 'tcp_fin_wait_ns', offset: 16, kind: 'u64' },
    { name: 'tcp_closed_ns', offset: 24, kind: 'u64' },
    { name: 'udp_ns', offset: 32, kind: 'u64' },
  ],
};

/** struct tunnel_settings (24 bytes) */
export interface TunnelSettings {
  source4: number;
  source6: Buffer;
  gue_port: number;
  source4_hash_bits: number;
  source6_hash_bits: number;
}

export const tunnelSettingsLayout: StructLayout<TunnelSettings> = {
  name: 'tunnel_settings',
  size: 24,
  members: [
    { name: 'source4', offset: 0, kind: 'be32' },
    { name: 'source6', offset: 4, kind: 'be32', length: 4 },
    { name: 'gue_port', offset: 20, kind: 'be16' },
    { name: 'source4_hash_bits', offset: 22, kind: 'u8' },
    { name: 'source6_hash_bits', offset: 23, kind: 'u8' },
  ],
};

/** struct new_flow_window (16 bytes) */
export interface NewFlowWindow {
  started_ns: bigint;
  count: bigint;
}

export const newFlowWindowLayout: StructLayout<NewFlowWindow> = {
  name: 'new_flow_window',
  size: 16,
  members: [
    { name: 'started_ns', offset: 0, kind: 'u64' },
    { name: 'count', offset: 8, kind: 'u64' },
  ],
};

/** struct client_rate_key (24 bytes) */
export interface ClientRateKey {
  addr: Buffer;
  service_id: number;
  family: number;
  pad?: Uint8Array;
}

export const clientRateKeyLayout: StructLayout<ClientRateKey> = {
  name: 'client_rate_key',
  size: 24,
  members: [
    { name: 'addr', offset: 0, kind: 'be32', length: 4 },
    { name: 'service_id', offset: 16, kind: 'u32' },
    { name: 'family', offset: 20, kind: 'u8' },
    { name: 'pad', offset: 21, kind: 'u8', length: 3 },
  ],
};

/** struct client_rate_window (16 bytes) */
export interface ClientRateWindow {
  started_ns: bigint;
  count: bigint;
}

export const clientRateWindowLayout: StructLayout<ClientRateWindow> = {
  name: 'client_rate_window',
  size: 16,
  members: [
    { name: 'started_ns', offset: 0, kind: 'u64' },
    { name: 'count', offset: 8, kind: 'u64' },
  ],
};

/** struct traffic_counters (48 bytes) */
export interface TrafficCounters {
  packets: bigint;
  bytes: bigint;
  reply_packets: bigint;
  reply_bytes: bigint;
  new_flows: bigint;
  drops: bigint;
}

export const trafficCountersLayout: StructLayout<TrafficCounters> = {
  name: 'traffic_counters',
  size: 48,
  members: [
    { name: 'packets', offset: 0, kind: 'u64' },
    { name: 'bytes', offset: 8, kind: 'u64' },
    { name: 'reply_packets', offset: 16, kind: 'u64' },
    { name: 'reply_bytes', offset: 24, kind: 'u64' },
    { name: 'new_flows', offset: 32, kind: 'u64' },
    { name: 'drops', offset: 40, kind: 'u64' },
  ],
};

/** struct backend_errors (56 bytes) */
export interface BackendErrors {
  drops: BigUint64Array;
  resets: bigint;
}

export const backendErrorsLayout: StructLayout<BackendErrors> = {
  name: 'backend_errors',
  size: 56,
  members: [
    { name: 'drops', offset: 0, kind: 'u64', length: 6 },
    { name: 'resets', offset: 48, kind: 'u64' },
  ],
};

/** struct flow_event (64 bytes) */
export interface FlowEvent {
  key: Uint8Array;
  backend_id: number;
  service_id: number;
  tcp_state: number;
  flags: number;
  kind: number;
  pad?: number;
}

export const flowEventLayout: StructLayout<FlowEvent> = {
  name: 'flow_event',
  size: 64,
  members: [
    { name: 'key', offset: 0, kind: 'u8', length: 40 },
    { name: 'backend_id', offset: 40, kind: 'u32' },
    { name: 'service_id', offset: 44, kind: 'u32' },
    { name: 'tcp_state', offset: 48, kind: 'u32' },
    { name: 'flags', offset: 52, kind: 'u32' },
    { name: 'kind', offset: 56, kind: 'u32' },
    { name: 'pad', offset: 60, kind: 'u32' },
  ],
};

/** Every shared struct by its C name. */
export const structLayouts = {
  vip_key: vipKeyLayout,
  service_key: serviceKeyLayout,
  service_config: serviceConfigLayout,
  backend: backendLayout,
  lookup_table: lookupTableLayout,
  flow_key: flowKeyLayout,
  backend_next_hop: backendNextHopLayout,
  flow_value: flowValueLayout,
  endpoint_owners: endpointOwnersLayout,
  flood_settings: floodSettingsLayout,
  expiry_settings: expirySettingsLayout,
  tunnel_settings: tunnelSettingsLayout,
  new_flow_window: newFlowWindowLayout,
  client_rate_key: clientRateKeyLayout,
  client_rate_window: clientRateWindowLayout,
  traffic_counters: trafficCountersLayout,
  backend_errors: backendErrorsLayout,
  flow_event: flowEventLayout,
} as const;

/** enum sluice_family */
export const SluiceFamily = {
  FAMILY_IPV4: 4,
  FAMILY_IPV6: 6,
} as const;
export type SluiceFamily = (typeof SluiceFamily)[keyof typeof SluiceFamily];

/** enum sluice_algorithm */
export const SluiceAlgorithm = {
  ALG_ROUND_ROBIN: 0,
  ALG_WEIGHTED_ROUND_ROBIN: 1,
  ALG_LEAST_CONNECTIONS: 2,
  ALG_SOURCE_HASH: 3,
  ALG_MAGLEV: 4,
} as const;
export type SluiceAlgorithm = (typeof SluiceAlgorithm)[keyof typeof SluiceAlgorithm];

/** enum sluice_forwarding_mode */
export const SluiceForwardingMode = {
  MODE_NAT: 0,
  MODE_DSR: 1,
  MODE_IPIP: 2,
  MODE_GUE: 3,
} as const;
export type SluiceForwardingMode = (typeof SluiceForwardingMode)[keyof typeof SluiceForwardingMode];

/** enum sluice_backend_flags */
export const SluiceBackendFlags = {
  BACKEND_F_KEEP_FLOWS: 1,
} as const;
export type SluiceBackendFlags = (typeof SluiceBackendFlags)[keyof typeof SluiceBackendFlags];

/** enum sluice_tcp_state */
export const SluiceTcpState = {
  TCP_STATE_NONE: 0,
  TCP_STATE_SYN_SENT: 1,
  TCP_STATE_ESTABLISHED: 2,
  TCP_STATE_FIN_WAIT: 3,
  TCP_STATE_CLOSED: 4,
} as const;
export type SluiceTcpState = (typeof SluiceTcpState)[keyof typeof SluiceTcpState];

/** enum sluice_endpoint_filter */
export const SluiceEndpointFilter = {
  ENDPOINT_FILTER_BITS_LOG2: 16,
  ENDPOINT_FILTER_WORDS: 1024,
  ENDPOINT_FILTER_MULTIPLIER: 1640531527,
} as const;
export type SluiceEndpointFilter = (typeof SluiceEndpointFilter)[keyof typeof SluiceEndpointFilter];

/** enum sluice_vip_filter */
export const SluiceVipFilter = {
  VIP_FILTER_BITS_LOG2: 14,
  VIP_FILTER_WORDS: 256,
  VIP_FILTER_MULTIPLIER: 1640531527,
} as const;
export type SluiceVipFilter = (typeof SluiceVipFilter)[keyof typeof SluiceVipFilter];

/** enum sluice_flow_flags */
export const SluiceFlowFlags = {
  FLOW_F_FIN_CLIENT: 1,
  FLOW_F_FIN_BACKEND: 2,
  FLOW_F_SYN_SEQ: 4,
  FLOW_F_MODE_SHIFT: 3,
  FLOW_F_MODE_MASK: 24,
} as const;
export type SluiceFlowFlags = (typeof SluiceFlowFlags)[keyof typeof SluiceFlowFlags];

/** enum sluice_counter */
export const SluiceCounter = {
  CNT_ACTION_ABORTED: 0,
  CNT_ACTION_DROP: 1,
  CNT_ACTION_PASS: 2,
  CNT_ACTION_TX: 3,
  CNT_ACTION_REDIRECT: 4,
  CNT_DROP_MALFORMED: 5,
  CNT_DROP_FRAGMENT: 6,
  CNT_DROP_IP_OPTIONS: 7,
  CNT_DROP_UNKNOWN_PROTOCOL: 8,
  CNT_DROP_NO_SERVICE: 9,
  CNT_DROP_NO_BACKEND: 10,
  CNT_DROP_BAD_CHECKSUM: 11,
  CNT_PASS_NOT_SERVICE: 12,
  CNT_PASS_NO_NEIGHBOUR: 13,
  CNT_PASS_NO_ROUTE: 14,
  CNT_PASS_TTL_EXCEEDED: 15,
  CNT_PASS_NOT_ETHERNET_IP: 16,
  CNT_PASS_VLAN_TAGGED: 17,
  CNT_FLOW_NEW: 18,
  CNT_FLOW_RESTEERED: 19,
  CNT_FLOW_CLOSED: 20,
  CNT_FORWARD_PACKETS: 21,
  CNT_REPLY_PACKETS: 22,
  CNT_FLOW_HALF_OPEN: 23,
  CNT_FLOW_PROMOTED: 24,
  CNT_FLOW_UNTRACKED: 25,
  CNT_REPLY_UNTRACKED: 26,
  CNT_DROP_HANDOVER: 27,
  CNT_DROP_CLIENT_RATE: 28,
  CNT_FLOW_EXPIRED: 29,
  CNT_TUNNEL_TOO_BIG: 30,
  CNT_DROP_DSR_NOT_ON_LINK: 31,
  CNT_DROP_DSR_NO_NEIGHBOUR: 32,
  CNT_DROP_TUNNEL_UNCONFIGURED: 33,
  CNT_DROP_TUNNEL_NO_NEXT_HOP: 34,
  CNT_DROP_TOO_BIG_NO_DF: 35,
  CNT_DROP_TOO_BIG_RATE: 36,
  CNT_FLOW_EVENT_LOST: 37,
  CNT_DROP_AWAITING_PEER: 38,
  CNT_MAX: 39,
} as const;
export type SluiceCounter = (typeof SluiceCounter)[keyof typeof SluiceCounter];

/** enum sluice_backend_drop */
export const SluiceBackendDrop = {
  BACKEND_DROP_DSR_NOT_ON_LINK: 0,
  BACKEND_DROP_DSR_NO_NEIGHBOUR: 1,
  BACKEND_DROP_TUNNEL_NO_NEXT_HOP: 2,
  BACKEND_DROP_TOO_BIG: 3,
  BACKEND_DROP_TOO_BIG_NO_DF: 4,
  BACKEND_DROP_TOO_BIG_RATE: 5,
  BACKEND_DROP_MAX: 6,
} as const;
export type SluiceBackendDrop = (typeof SluiceBackendDrop)[keyof typeof SluiceBackendDrop];

/** enum sluice_flow_event_kind */
export const SluiceFlowEventKind = {
  FLOW_EVENT_NEW: 0,
  FLOW_EVENT_ESTABLISHED: 1,
  FLOW_EVENT_RESTEERED: 2,
} as const;
export type SluiceFlowEventKind = (typeof SluiceFlowEventKind)[keyof typeof SluiceFlowEventKind];

/* The header's #define constants, as the compiler evaluates them for this build. */
export const MAX_SERVICES = 256;
export const MAX_BACKENDS = 4096;
export const LOOKUP_TABLE_SIZE = 65537;
export const FLOW_TABLE_SIZE = 1048576;
export const HALF_OPEN_TABLE_SIZE = 131072;
export const CLIENT_RATE_TABLE_SIZE = 65536;
export const CLIENT_RATE_WINDOW_NS = 1000000000;
export const NEW_FLOW_WINDOW_NS = 1000000000;
export const MAX_SERVICES_PER_ENDPOINT = 16;
export const LEAST_CONN_CANDIDATES = 4;
export const NEXT_HOP_TTL_NS = 1000000000;
export const AWAIT_PEER_FLOW_NS = 150000000;
export const AWAITED_FLOWS_SIZE = 65536;
export const LOOKUP_TABLE_SLOTS = 2;
export const NO_BACKEND = 65535;
export const FLOW_HASH_SEED = 1562174957;
export const FLOW_EVENTS_BYTES = 524288;
