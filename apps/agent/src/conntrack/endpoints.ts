/*
 * The backends flow entries point at. Read once per sweep or page, so a
 * million flows cost one small array read.
 */
import type { ConntrackMaps } from './conntrack-maps.js';
import type { Backend } from '@sluice/dataplane';

export class Endpoints {
  readonly backends = new Map<number, Backend>();

  /** Backends in use (family 0 marks a free slot). */
  static read(maps: ConntrackMaps): Endpoints {
    const endpoints = new Endpoints();
    for (const [id, backend] of maps.backends.entries()) if (backend.family !== 0) endpoints.backends.set(id, backend);
    return endpoints;
  }

  /** The backend a flow of `serviceId` may count against, or undefined when the id was freed or reused. */
  backendOf(backendId: number, serviceId: number): Backend | undefined {
    const backend = this.backends.get(backendId);
    return backend && backend.service_id === serviceId ? backend : undefined;
  }
}
