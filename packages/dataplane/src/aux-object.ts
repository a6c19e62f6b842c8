/*
 * Loading a companion BPF object (decap, health_steer): open it, check its
 * maps against the generated layout, pin them (reusing pins already there),
 * load, and hand back the program and map fds. The object is closed again
 * on any error, so a failed load leaves nothing behind but pins that were
 * already there. Attaching is the caller's (xdp.ts, tc.ts): the same object
 * is attached in XDP, TC or not at all (tests).
 *
 * The balancer's own object (object.ts) has more to do (tunables, map
 * migration) and does not use this.
 */
import { existsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { ensureBpffs } from './bpffs.js';
import type { Codec } from './codec.js';
import { DataplaneError, checked, checkedPointer } from './errors.js';
import { type BpfMapPtr, type BpfObjectPtr, libbpf, mapTypeName } from './libbpf.js';
import { installLibbpfLog } from './libbpf-log.js';
import { type MapInfo, mapInfoOf } from './maps.js';
import { withSignalsBlocked } from './signals.js';

export interface AuxMapSpec {
  type: number;
  key: Codec<unknown>;
  value: Codec<unknown>;
}

export interface AuxLoadOptions {
  objectPath: string;
  /** bpffs directory to pin (and reuse) the maps in, mounted if needed. Without it nothing is pinned. */
  pinDir?: string;
}

export interface AuxObjectOptions<M extends string, P extends string> extends AuxLoadOptions {
  /** The object's maps, by C name, as the generated layout has them. */
  maps: Readonly<Record<M, AuxMapSpec>>;
  /** The entry points to look up, by C name. */
  programs: readonly P[];
  /** The generated layout file the maps come from, named in the hint of a shape mismatch. */
  layoutFile: string;
}

export interface AuxObject<M extends string, P extends string> {
  readonly objectPath: string;
  readonly programFds: Readonly<Record<P, number>>;
  readonly maps: ReadonlyMap<M, MapInfo>;
  readonly closed: boolean;
  /** Release the object. Pins and attachments stay. */
  close(): void;
}

/* Before load: an object built from another header fails here, not with misaligned bytes. */
export function checkAuxMapShape(name: string, spec: AuxMapSpec, info: Pick<MapInfo, 'type' | 'keySize' | 'valueSize'>, layoutFile: string): void {
  const fail = (detail: string): never => {
    throw new DataplaneError({ call: 'bpf_map', subject: `map "${name}"`, errno: osConstants.errno.EINVAL, detail });
  };
  const hint = `the object and ${layoutFile} disagree; rebuild bpf/ and run \`pnpm gen:layout\``;
  if (info.type !== spec.type) fail(`is ${mapTypeName(info.type)}, expected ${mapTypeName(spec.type)}`);
  if (info.keySize !== spec.key.size) fail(`key_size is ${info.keySize}, expected ${spec.key.size}; ${hint}`);
  if (info.valueSize !== spec.value.size) fail(`value_size is ${info.valueSize}, expected ${spec.value.size}; ${hint}`);
}

export function loadAuxObject<M extends string, P extends string>(options: AuxObjectOptions<M, P>): AuxObject<M, P> {
  installLibbpfLog();
  const { objectPath, pinDir, layoutFile } = options;
  const subject = JSON.stringify(objectPath);
  const obj: BpfObjectPtr = checkedPointer('bpf_object__open_file', subject, () => libbpf.bpf_object__open_file(objectPath, null));
  try {
    const mapPtrs = new Map<M, BpfMapPtr>();
    for (const name of Object.keys(options.maps) as M[]) {
      const map = checkedPointer('bpf_object__find_map_by_name', `map "${name}" in ${subject}`, () => libbpf.bpf_object__find_map_by_name(obj, name));
      checkAuxMapShape(name, options.maps[name], mapInfoOf(map, -1), layoutFile);
      mapPtrs.set(name, map);
    }
    if (pinDir !== undefined) {
      ensureBpffs(pinDir);
      for (const [name, map] of mapPtrs) {
        const path = join(pinDir, name);
        /* libbpf reuses a pin at this path (and refuses one of another shape), or pins the new map there. */
        checked('bpf_map__set_pin_path', `map "${name}", "${path}"${existsSync(path) ? ' (reused)' : ''}`, () => libbpf.bpf_map__set_pin_path(map, path));
      }
    }
    checked('bpf_object__load', subject, () => withSignalsBlocked(() => libbpf.bpf_object__load(obj)));
    const programFds = {} as Record<P, number>;
    for (const name of options.programs) {
      const prog = checkedPointer('bpf_object__find_program_by_name', `program "${name}" in ${subject}`, () =>
        libbpf.bpf_object__find_program_by_name(obj, name),
      );
      programFds[name] = checked('bpf_program__fd', `program "${name}"`, () => libbpf.bpf_program__fd(prog));
    }
    const maps = new Map<M, MapInfo>();
    for (const [name, map] of mapPtrs) {
      maps.set(
        name,
        mapInfoOf(
          map,
          checked('bpf_map__fd', `map "${name}"`, () => libbpf.bpf_map__fd(map)),
        ),
      );
    }
    let closed = false;
    return {
      objectPath,
      programFds,
      maps,
      get closed() {
        return closed;
      },
      close() {
        if (closed) return;
        closed = true;
        libbpf.bpf_object__close(obj);
      },
    };
  } catch (err) {
    libbpf.bpf_object__close(obj);
    throw err;
  }
}

/** The closed-object error of a companion program's test run. */
export function closedError(call: string, objectPath: string): DataplaneError {
  return new DataplaneError({ call, subject: JSON.stringify(objectPath), errno: osConstants.errno.EBADF, detail: 'already closed' });
}
