/*
 * "The state" of a running Sluice, for before/after comparisons: what the
 * API reports (services, backends with their data-plane ids, the exported
 * configuration) and what the pinned maps hold (configuration maps only:
 * flows and counters move with traffic).
 */
import { createHash } from 'node:crypto';
import { openPinnedMaps } from '@sluice/dataplane';
import type { Network } from './network.ts';
import { apiClient } from '@sluice/testbed/api-client';

function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value)) return value.toString('hex');
  if (value instanceof Uint16Array)
    return createHash('sha256')
      .update(Buffer.from(value.buffer, value.byteOffset, value.byteLength))
      .digest('hex');
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

const sorted = (entries: Iterable<[unknown, unknown]>) => [...entries].map((entry) => JSON.stringify(plain(entry))).sort();

export function pinnedConfigMaps(pinDir: string) {
  const pinned = openPinnedMaps(pinDir);
  try {
    const { maps } = pinned;
    return {
      services: sorted(maps.services.entries()),
      vips: sorted(maps.vips.entries()),
      serviceVips: sorted(maps.serviceVips.entries()),
      backends: sorted(maps.backends.entries()),
      lookupTables: sorted(maps.lookupTables.entries()),
    };
  } finally {
    pinned.close();
  }
}

export async function apiState(network: Network) {
  const client = apiClient(network);
  const services = await client.services.list.query();
  const backends: Record<string, unknown> = {};
  for (const service of services) {
    const list = await client.backends.list.query({ service: service.name });
    /* Live numbers move with traffic; identity, settings and placement must not. */
    backends[service.name] = list.map(({ activeFlows, health, ...rest }) => ({ ...rest, up: health?.up ?? true }));
  }
  return {
    services: services.map(({ activeFlows, ...rest }) => rest),
    backends,
    config: await client.config.export.query(),
  };
}

export async function fullState(network: Network) {
  return { api: await apiState(network), maps: pinnedConfigMaps(network.pinDir) };
}
