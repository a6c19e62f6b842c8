/*
 * The maps of a running data plane straight from their pins, without loading
 * a program: for read-only tools and for inspecting a data plane the agent
 * did not load. Each map is checked against MAP_SPECS like at load.
 */
import { join } from 'node:path';
import { type DataplaneMaps, MAP_NAMES, type MapName, checkMapShape, createDataplaneMaps } from './dataplane-maps.js';
import { checked } from './errors.js';
import { c } from './libc.js';
import { libbpf } from './libbpf.js';
import { installLibbpfLog } from './libbpf-log.js';
import type { MapInfo } from './maps.js';

/* struct bpf_map_info up to and including name[16]. */
const MAP_INFO_PREFIX = 40;

export interface PinnedMaps {
  readonly maps: DataplaneMaps;
  close(): void;
}

function pinnedMapInfo(name: MapName, path: string): MapInfo {
  const fd = checked('bpf_obj_get', `map "${name}", "${path}"`, () => libbpf.bpf_obj_get(path));
  try {
    const info = Buffer.alloc(MAP_INFO_PREFIX);
    const length = new Uint32Array([MAP_INFO_PREFIX]);
    checked('bpf_obj_get_info_by_fd', `map "${name}", "${path}"`, () => libbpf.bpf_obj_get_info_by_fd(fd, info, length));
    const mapInfo: MapInfo = {
      name,
      fd,
      type: info.readUInt32LE(0),
      keySize: info.readUInt32LE(8),
      valueSize: info.readUInt32LE(12),
      maxEntries: info.readUInt32LE(16),
    };
    checkMapShape(name, mapInfo, 'bpf_obj_get_info_by_fd');
    return mapInfo;
  } catch (err) {
    c.close(fd);
    throw err;
  }
}

export function openPinnedMaps(pinDir: string): PinnedMaps {
  installLibbpfLog();
  const infos = new Map<MapName, MapInfo>();
  try {
    for (const name of MAP_NAMES) infos.set(name, pinnedMapInfo(name, join(pinDir, name)));
  } catch (err) {
    for (const info of infos.values()) c.close(info.fd);
    throw err;
  }
  const owner = {
    closed: false,
    maps: undefined as unknown as DataplaneMaps,
    close() {
      if (owner.closed) return;
      owner.closed = true;
      for (const info of infos.values()) c.close(info.fd);
    },
  };
  owner.maps = createDataplaneMaps((name) => infos.get(name)!, owner);
  return owner;
}
