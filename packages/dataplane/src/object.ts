/*
 * Loading the data plane: open the object, size its maps, point them at
 * their pins, load, and hand out the program fd, typed maps and attach
 * operations.
 *
 * Adoption: with a pin directory, a map already pinned there is reused by
 * libbpf instead of created, so a restarted agent keeps the running data
 * plane's flows and counters. A pinned map whose definition or layout differs
 * (another build: an upgrade) is never handed to libbpf, which would refuse it
 * ("parameter mismatch"): it is migrated instead (migrate.ts), and the caller
 * finishes the migration right after swapping the program in.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { ensureBpffs } from './bpffs.js';
import { type MapName, MAP_NAMES, MAP_SPECS, type DataplaneMaps, checkMapShape, createDataplaneMaps } from './dataplane-maps.js';
import { DataplaneError, checked, checkedPointer } from './errors.js';
import { type BpfMapPtr, type BpfObjectPtr, libbpf } from './libbpf.js';
import { installLibbpfLog } from './libbpf-log.js';
import { type MapInfo, mapInfoOf } from './maps.js';
import { c as libc } from './libc.js';
import { type MapMigration, objectBtf, planMapMigration } from './migrate.js';
import { type RunningBuild, findRunningBuild, recordLoadedBuild } from './running-build.js';
import { type TestRunOptions, type TestRunResult, testRunXdp } from './test-run.js';
import { type Tunables, applyTunables, checkTunables, readTunables } from './tunables.js';
import { programIdOfFd } from './program-info.js';
import { type XdpMode, attachXdp, attachedProgramId, detachXdp, replaceXdp } from './xdp.js';
import { withSignalsBlocked } from './signals.js';

export const PROGRAM_NAME = 'sluice_xdp';

/*
 * Longest an upgrade's handover may last: the second copy of a 1M-flow table
 * took 6.8 s on a 2-core machine at load 20 (100K flows: 1.3 s); past this
 * bound a missing flow is steered anew as usual, so a crashed agent cannot
 * leave it on. process.hrtime is CLOCK_MONOTONIC, the program's clock.
 */
const HANDOVER_LIMIT_NS = 30_000_000_000n;

export interface LoadOptions {
  objectPath: string;
  /** bpffs directory to pin maps in (mounted if needed). Without it nothing is pinned. */
  pinDir?: string;
  /** max_entries overrides by map name, e.g. { flows: 4096 } (the default flow table is 1M entries, one per flow). */
  maxEntries?: Partial<Record<MapName, number>>;
  /**
   * With pinDir: adopt maps already pinned there (default true). false
   * removes those pins first and starts from empty maps (the running data
   * plane, if any, keeps its own maps until it is replaced).
   */
  reusePinned?: boolean;
  programName?: string;
  /** Load-time settings (`const volatile` in bpf/src/tunables.h); each one left out keeps the C default. */
  tunables?: Partial<Tunables>;
  /**
   * Maps whose value may have another layout than generated/layout.ts (type
   * and key are still checked): for timing an older build (the bench's
   * baseline), whose caller touches these maps' values only as raw bytes.
   * Their typed accessors must not be used. Never for the agent.
   */
  rawValueMaps?: readonly MapName[];
  /**
   * Maps an older build may not have (the bench's baseline), with the
   * max_entries of a stand-in: when the object has no such map, an unpinned
   * map of its shape is created beside it, so the typed maps stay whole and
   * writers need no special case; the program never reads it. Never for the agent.
   */
  standInMaps?: Partial<Record<MapName, number>>;
}

export interface Dataplane {
  readonly objectPath: string;
  /** sha256 (hex) of the object file as it was loaded: which build runs, whatever the file holds by now. */
  readonly buildId: string;
  readonly pinDir: string | undefined;
  readonly programFd: number;
  /** Kernel id of the program, as attachedProgramId() reports it. */
  readonly programId: number;
  readonly maps: DataplaneMaps;
  /** Maps taken over from pins (empty on a fresh start). */
  readonly adoptedMaps: readonly string[];
  /**
   * Whether the program already running on these pinned maps was taken over
   * (the same build and settings: not loaded or verified again,
   * running-build.ts), and if not, why.
   */
  readonly program: { takenOver: boolean; why: string };
  /**
   * Pinned maps of another layout, already copied into this build's maps
   * (unpinned so far): what changed in each, for the log. Empty when none.
   */
  readonly migratedMaps: readonly string[];
  /**
   * After the program is swapped in on every interface: pin the migrated
   * maps at their names and copy what the old program changed meanwhile.
   * Returns per map what was carried. A no-op without migrated maps.
   */
  finishMigration(): string[];
  /** Attach to an interface with none attached (EBUSY otherwise). */
  attach(ifname: string, mode?: XdpMode): void;
  /** Atomically replace the program on an interface with this one. */
  replace(ifname: string, mode?: XdpMode): void;
  detach(ifname: string, mode?: XdpMode): void;
  attachedProgramId(ifname: string, mode?: XdpMode): number | undefined;
  testRun(options: TestRunOptions): TestRunResult;
  /** The load-time settings the program runs with, read back from its .rodata. */
  tunables(): Tunables;
  /** The fd of the flow_events ring (struct flow_event records), for a FlowEventReader. Owned by the object. */
  flowEventsFd(): number;
  /** Release the object. Pins and attachments stay: they belong to the running data plane. */
  close(): void;
}

function* userMaps(obj: BpfObjectPtr): Generator<BpfMapPtr> {
  /* Internal maps (.rodata, .bss) hold load-time settings: never pinned, never shared. */
  for (let map = libbpf.bpf_object__next_map(obj, null); map; map = libbpf.bpf_object__next_map(obj, map)) {
    if (!libbpf.bpf_map__is_internal(map)) yield map;
  }
}

class LoadedDataplane implements Dataplane {
  closed = false;
  readonly maps: DataplaneMaps;
  readonly programId: number;

  constructor(
    readonly objectPath: string,
    readonly buildId: string,
    readonly pinDir: string | undefined,
    private readonly obj: BpfObjectPtr,
    readonly programFd: number,
    mapPtrs: Map<MapName, BpfMapPtr>,
    private readonly standIns: Map<MapName, MapInfo>,
    readonly adoptedMaps: readonly string[],
    private readonly migrations: MapMigration[],
    readonly program: { takenOver: boolean; why: string },
  ) {
    this.programId = programIdOfFd(programFd);
    this.maps = createDataplaneMaps((name) => {
      const standIn = standIns.get(name);
      if (standIn) return standIn;
      const ptr = mapPtrs.get(name)!;
      return mapInfoOf(
        ptr,
        checked('bpf_map__fd', `map "${name}"`, () => libbpf.bpf_map__fd(ptr)),
      );
    }, this);
  }

  get migratedMaps(): readonly string[] {
    return this.migrations.map((m) => m.describe());
  }

  finishMigration(): string[] {
    this.#open();
    const done: string[] = [];
    while (this.migrations.length > 0) {
      const m = this.migrations[0]!;
      m.finish();
      this.migrations.shift();
      done.push(`map "${m.name}": ${m.copied} ${m.copied === 1 ? 'entry' : 'entries'} copied, ${m.secondPass} more after the swap`);
    }
    if (done.length > 0) this.maps.handover.update(0, 0n);
    return done;
  }

  #open(): void {
    if (this.closed) {
      throw new DataplaneError({ call: 'dataplane', subject: `"${this.objectPath}"`, errno: osConstants.errno.EBADF, detail: 'already closed' });
    }
  }

  attach(ifname: string, mode: XdpMode = 'native'): void {
    this.#open();
    attachXdp(this.programFd, ifname, mode);
  }

  replace(ifname: string, mode: XdpMode = 'native'): void {
    this.#open();
    replaceXdp(this.programFd, ifname, mode);
  }

  detach(ifname: string, mode: XdpMode = 'native'): void {
    detachXdp(ifname, mode);
  }

  attachedProgramId(ifname: string, mode?: XdpMode): number | undefined {
    return attachedProgramId(ifname, mode);
  }

  testRun(options: TestRunOptions): TestRunResult {
    this.#open();
    return testRunXdp(this.programFd, options);
  }

  tunables(): Tunables {
    this.#open();
    return readTunables(this.obj, JSON.stringify(this.objectPath));
  }

  flowEventsFd(): number {
    this.#open();
    const map = checkedPointer('bpf_object__find_map_by_name', `map "flow_events" in ${JSON.stringify(this.objectPath)}`, () =>
      libbpf.bpf_object__find_map_by_name(this.obj, 'flow_events'),
    );
    return checked('bpf_map__fd', 'map "flow_events"', () => libbpf.bpf_map__fd(map));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    /* A migration never finished: the old maps stay pinned and keep serving. */
    for (const m of this.migrations.splice(0)) m.abandon();
    libbpf.bpf_object__close(this.obj);
    /* A program taken over was never the object's: its fd is ours. */
    if (this.program.takenOver) libc.close(this.programFd);
    for (const standIn of this.standIns.values()) libc.close(standIn.fd);
  }
}

/** An unpinned map of `name`'s shape that no program reads (LoadOptions.standInMaps). */
function createStandIn(name: MapName, maxEntries: number): MapInfo {
  const spec = MAP_SPECS[name];
  const fd = checked('bpf_map_create', `stand-in for map "${name}"`, () =>
    libbpf.bpf_map_create(spec.type, name, spec.key.size, spec.value.size, maxEntries, null),
  );
  return { name, fd, type: spec.type, keySize: spec.key.size, valueSize: spec.value.size, maxEntries };
}

export function loadDataplane(options: LoadOptions): Dataplane {
  installLibbpfLog();
  const { objectPath, pinDir, reusePinned = true, programName = PROGRAM_NAME } = options;
  checkTunables(options.tunables ?? {});
  const objSubject = JSON.stringify(objectPath);
  const obj = checkedPointer('bpf_object__open_file', objSubject, () => libbpf.bpf_object__open_file(objectPath, null));
  const migrations: MapMigration[] = [];
  let takenOverFd: number | undefined;
  try {
    /* Hashed right after libbpf read the same file (a missing file fails above, in libbpf's words): the build that is loaded. */
    const buildId = createHash('sha256').update(readFileSync(objectPath)).digest('hex');
    const mapPtrs = new Map<MapName, BpfMapPtr>();
    const missing: MapName[] = [];
    for (const name of MAP_NAMES) {
      if (options.standInMaps?.[name] !== undefined && !libbpf.bpf_object__find_map_by_name(obj, name)) {
        missing.push(name);
        continue;
      }
      const map = checkedPointer('bpf_object__find_map_by_name', `map "${name}" in ${objSubject}`, () => libbpf.bpf_object__find_map_by_name(obj, name));
      mapPtrs.set(name, map);
    }

    for (const [name, entries] of Object.entries(options.maxEntries ?? {})) {
      const map = mapPtrs.get(name as MapName);
      if (!map) {
        throw new DataplaneError({
          call: 'bpf_map__set_max_entries',
          subject: `map "${name}"`,
          errno: osConstants.errno.ENOENT,
          detail: `no such map in ${objSubject}`,
        });
      }
      checked('bpf_map__set_max_entries', `map "${name}", ${entries}`, () => libbpf.bpf_map__set_max_entries(map, entries!));
    }

    applyTunables(obj, options.tunables ?? {}, objSubject);

    /* Before load: a layout mismatch must not get as far as creating a 2M-entry table. */
    const rawValueMaps = new Set(options.rawValueMaps ?? []);
    for (const [name, map] of mapPtrs) checkMapShape(name, mapInfoOf(map, -1), 'bpf_map', !rawValueMaps.has(name));

    const adopted: string[] = [];
    if (pinDir !== undefined) {
      ensureBpffs(pinDir);
      let newBtf: ReturnType<typeof objectBtf> | undefined;
      for (const map of userMaps(obj)) {
        const name = libbpf.bpf_map__name(map);
        const path = join(pinDir, name);
        if (existsSync(path)) {
          if (!reusePinned) {
            rmSync(path);
          } else {
            const migration = planMapMigration(name, path, map, (newBtf ??= objectBtf(obj, objSubject)));
            if (migration) {
              /* No pin path: libbpf creates this map anew; finishMigration() pins it after the swap. */
              migrations.push(migration);
              continue;
            }
            adopted.push(name);
          }
        }
        checked('bpf_map__set_pin_path', `map "${name}", "${path}"`, () => libbpf.bpf_map__set_pin_path(map, path));
      }
    }

    const prog = checkedPointer('bpf_object__find_program_by_name', `program "${programName}" in ${objSubject}`, () =>
      libbpf.bpf_object__find_program_by_name(obj, programName),
    );
    let running: RunningBuild | string = 'no pin directory';
    if (pinDir !== undefined) {
      const everyMapAdopted = adopted.length === [...userMaps(obj)].length;
      if (!reusePinned || adopted.length === 0) running = 'a fresh start: no pinned map is adopted';
      else if (!everyMapAdopted || migrations.length > 0) running = 'the maps are not all adopted as they are';
      else if (options.rawValueMaps?.length || missing.length > 0) running = 'an older build is timed (bench)';
      else running = findRunningBuild(pinDir, obj, buildId, [...userMaps(obj)]);
    }
    /* Otherwise: creates (or reuses) maps, pins new ones at their pin path, and verifies the program. */
    if (typeof running === 'string') checked('bpf_object__load', objSubject, () => withSignalsBlocked(() => libbpf.bpf_object__load(obj)));
    const programFd =
      typeof running === 'string' ? checked('bpf_program__fd', `program "${programName}"`, () => libbpf.bpf_program__fd(prog)) : running.programFd;
    if (typeof running === 'string' && pinDir !== undefined) recordLoadedBuild(pinDir, programFd, buildId);
    else if (typeof running !== 'string') takenOverFd = programFd;
    for (const m of migrations) {
      const map = checkedPointer('bpf_object__find_map_by_name', `map "${m.name}" in ${objSubject}`, () => libbpf.bpf_object__find_map_by_name(obj, m.name));
      m.copyFirst(checked('bpf_map__fd', `map "${m.name}"`, () => libbpf.bpf_map__fd(map)));
    }
    const standIns = new Map<MapName, MapInfo>();
    for (const name of missing) standIns.set(name, createStandIn(name, options.standInMaps![name]!));
    const program =
      typeof running === 'string' ? { takenOver: false, why: running } : { takenOver: true, why: 'the same build and load-time settings run on these maps' };
    const dataplane = new LoadedDataplane(objectPath, buildId, pinDir, obj, programFd, mapPtrs, standIns, adopted, migrations, program);
    if (migrations.length > 0) {
      /*
       * From the swap until finishMigration() has copied the old program's
       * last flows, a TCP packet that misses its flow is dropped (and
       * retransmitted) rather than steered to another backend (bpf/src/sluice.bpf.c
       * in_handover). Bounded, so a crash mid-way cannot leave it on.
       */
      dataplane.maps.handover.update(0, process.hrtime.bigint() + HANDOVER_LIMIT_NS);
    }
    return dataplane;
  } catch (err) {
    for (const m of migrations) m.abandon();
    libbpf.bpf_object__close(obj);
    if (takenOverFd !== undefined) libc.close(takenOverFd);
    throw err;
  }
}
