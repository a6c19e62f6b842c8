/*
 * The maps connection tracking reads and writes (the flow table and the
 * half-open table hold flows alike), and how the conntrack
 * worker thread reaches them: map fds belong to the process, not to a
 * thread, so the worker wraps the same fd numbers in its own BpfMaps
 * (koffi loads libbpf once per thread; the syscalls need nothing else).
 */
import type { DataplaneMaps } from '@sluice/dataplane';
import { MAP_SPECS } from '@sluice/dataplane';
import { BpfMap, type MapInfo } from '@sluice/dataplane';

export type ConntrackMaps = Pick<DataplaneMaps, 'flows' | 'halfOpenFlows' | 'backends' | 'backendActive'>;

/** The tables that hold flows, in the order scans read them. */
export const FLOW_TABLES = ['flows', 'halfOpenFlows'] as const;
export type FlowTableName = (typeof FLOW_TABLES)[number];

/** What a worker needs to open the maps: plain data, sent with every job. */
export interface ConntrackMapFds {
  flows: MapInfo;
  halfOpenFlows: MapInfo;
  backends: MapInfo;
  backendActive: MapInfo;
}

const SPEC_OF = {
  flows: 'flows',
  halfOpenFlows: 'half_open_flows',
  backends: 'backends',
  backendActive: 'backend_active',
} as const satisfies Record<keyof ConntrackMaps, keyof typeof MAP_SPECS>;

function infoOf(map: BpfMap<unknown, unknown>): MapInfo {
  /* map.fd throws once the data plane that owns it was closed: no job is sent for closed maps. */
  return { name: map.name, fd: map.fd, type: map.type, keySize: map.keySize, valueSize: map.valueBytes, maxEntries: map.maxEntries };
}

export function mapFdsOf(maps: ConntrackMaps): ConntrackMapFds {
  return {
    flows: infoOf(maps.flows as BpfMap<unknown, unknown>),
    halfOpenFlows: infoOf(maps.halfOpenFlows as BpfMap<unknown, unknown>),
    backends: infoOf(maps.backends as BpfMap<unknown, unknown>),
    backendActive: infoOf(maps.backendActive as BpfMap<unknown, unknown>),
  };
}

/**
 * The maps again, on the worker's side. The fds stay the main thread's:
 * the worker never closes them, and the main thread checks before each
 * job that they are still open.
 */
export function openMapFds(fds: ConntrackMapFds): ConntrackMaps {
  const owner = { closed: false };
  const open = (name: keyof ConntrackMaps) => {
    const spec = MAP_SPECS[SPEC_OF[name]];
    return new BpfMap<any, any>(fds[name], spec.key, spec.value, owner);
  };
  return {
    flows: open('flows'),
    halfOpenFlows: open('halfOpenFlows'),
    backends: open('backends'),
    backendActive: open('backendActive'),
  };
}
