/*
 * The rules a change must meet given what already exists: capacity (counted
 * from the store, checked by reconcile/capacity.ts, the one source of the
 * limits' words), address family, duplicates. Checked before anything is
 * written, so the error names the rule. The input's shape (ranges, formats)
 * is zod's job in packages/api.
 */
import { addressFamily, conflict, invalid } from '@sluice/api';
import { type CapacityLimits, checkCapacity } from '../reconcile/capacity.js';
import type { Store } from '../store/index.js';

/** Room for one more service, `name`, with `backends` backends. */
export function checkServiceRoom(limits: CapacityLimits, store: Store, name: string, backends: number): void {
  checkCapacity(limits, {
    services: store.services.count() + 1,
    backends: store.services.backendCount() + backends,
    largestService: { name, backends },
  });
}

export function checkBackendRoom(limits: CapacityLimits, store: Store, service: string, adding: number): void {
  checkCapacity(limits, {
    services: store.services.count(),
    backends: store.services.backendCount() + adding,
    largestService: { name: service, backends: store.services.backendCountOf(service) + adding },
  });
}

export function checkSameFamily(serviceName: string, serviceAddress: string, backendAddress: string): void {
  const want = addressFamily(serviceAddress);
  const got = addressFamily(backendAddress);
  if (want !== got) throw invalid(`backend ${backendAddress} is IPv${got} but service ${serviceName} is IPv${want}`, { service: serviceName });
}

export function checkNoDuplicate(store: Store, service: string, endpoint: string): void {
  if (store.services.backend(service, endpoint)) throw conflict(`service ${service} already has backend ${endpoint}`, { service, endpoint });
}
