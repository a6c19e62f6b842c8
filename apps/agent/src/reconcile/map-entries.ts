/*
 * Desired-state objects -> the structs the data plane reads. One place that
 * knows how a service or backend is spelled in the maps.
 */
import type { Algorithm, BackendSpec, ForwardingMode, Protocol, ServiceSpec } from '@sluice/api';
import {
  type Backend,
  type BackendErrors,
  type ServiceKey,
  type VipKey,
  SluiceAlgorithm,
  SluiceBackendDrop,
  SluiceBackendFlags,
  SluiceForwardingMode,
} from '@sluice/dataplane';
import { addressToBytes } from '@sluice/dataplane';

export const IPPROTO: Record<Protocol, number> = { tcp: 6, udp: 17 };

export const ALGORITHM_CODE: Record<Algorithm, number> = {
  'round-robin': SluiceAlgorithm.ALG_ROUND_ROBIN,
  'weighted-round-robin': SluiceAlgorithm.ALG_WEIGHTED_ROUND_ROBIN,
  'least-connections': SluiceAlgorithm.ALG_LEAST_CONNECTIONS,
  'source-hash': SluiceAlgorithm.ALG_SOURCE_HASH,
  maglev: SluiceAlgorithm.ALG_MAGLEV,
};

export const MODE_CODE: Record<ForwardingMode, number> = {
  nat: SluiceForwardingMode.MODE_NAT,
  dsr: SluiceForwardingMode.MODE_DSR,
  ipip: SluiceForwardingMode.MODE_IPIP,
  gue: SluiceForwardingMode.MODE_GUE,
};

export function serviceKeyOf(service: Pick<ServiceSpec, 'address' | 'port' | 'protocol'>): ServiceKey {
  const { family, bytes } = addressToBytes(service.address);
  return { addr: bytes, port: service.port, protocol: IPPROTO[service.protocol], family };
}

export function vipKeyOf(address: string): VipKey {
  const { family, bytes } = addressToBytes(address);
  return { addr: bytes, family };
}

/** An all-zero backend: the slot is free (family 0 marks it so on adoption). */
export const FREE_BACKEND: Backend = {
  addr: Buffer.alloc(16),
  port: 0,
  family: 0,
  flags: 0,
  service_id: 0,
  weight: 0,
};

export function backendEntry(backend: BackendSpec, serviceId: number, keepsFlows: boolean): Backend {
  const { family, bytes } = addressToBytes(backend.address);
  return {
    addr: bytes,
    port: backend.port,
    family,
    flags: keepsFlows ? SluiceBackendFlags.BACKEND_F_KEEP_FLOWS : 0,
    service_id: serviceId,
    weight: backend.weight,
  };
}

export const ZERO_COUNTERS = {
  packets: 0n,
  bytes: 0n,
  reply_packets: 0n,
  reply_bytes: 0n,
  new_flows: 0n,
  drops: 0n,
};

/** A fresh backend id's error signals: no drops by any reason, no resets. */
export function zeroBackendErrors(): BackendErrors {
  return { drops: new BigUint64Array(SluiceBackendDrop.BACKEND_DROP_MAX), resets: 0n };
}
