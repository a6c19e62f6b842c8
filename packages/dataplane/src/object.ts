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
import { type VerifiedProgram, verifyInBackground } from './background-verify.js';

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
  /**
   * On a fresh start (pinDir, no pinned map adopted): create and pin the maps
   * now and verify the program on a libuv thread (background-verify.ts), so
   * the caller can fill the maps meanwhile. Until programLoaded() resolves,
   * programFd, programId, attach, replace and testRun throw. Any other start
   * loads as usual.
   */
  verifyInBackground?: boolean;
}

export interface Dataplane {
  readonly objectPath: string;
  /** sha256 (hex) of the object file as it was loaded: which build runs, whatever the file holds by now. */
  readonly buildId: string;
  readonly pinDir: string | undefined;
  readonly programFd: number;
  /** Kernel id of the program, as attachedProgramId() reports it. */
  readonly programId: number;
  /** Resolves once the program is loaded: at once, unless verifyInBackground put it on a thread; rejects with the load's error. */
  programLoaded(): Promise<void>;
  /** True while the program is being verified in the background (verifyInBackground). */
  readonly programPending: boolean;
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
  #programFd: number | undefined;
  #programId: number | undefined;
  /** The object that holds the program when it was verified in the background. */
  #programObj: BpfObjectPtr | undefined;
  readonly #loaded: Promise<void>;

  constructor(
    readonly objectPath: string,
    readonly buildId: string,
    readonly pinDir: string | undefined,
    private readonly obj: BpfObjectPtr,
    loading: number | (() => Promise<VerifiedProgram>),
    mapPtrs: Map<MapName, BpfMapPtr>,
    private readonly standIns: Map<MapName, MapInfo>,
    readonly adoptedMaps: readonly string[],
    private readonly migrations: MapMigration[],
    readonly program: { takenOver: boolean; why: string },
  ) {
    this.maps = createDataplaneMaps((name) => {
      const standIn = standIns.get(name);
      if (standIn) return standIn;
      const ptr = mapPtrs.get(name)!;
      return mapInfoOf(
        ptr,
        checked('bpf_map__fd', `map "${name}"`, () => libbpf.bpf_map__fd(ptr)),
      );
    }, this);
    if (typeof loading === 'number') {
      this.#setProgram(loading);
      this.#loaded = Promise.resolve();
      return;
    }
    /* Started last: nothing after it can fail and leave the thread's object behind. */
    this.#loaded = loading().then((verified) => {
      /* Closed while the thread verified: nothing may use it now. */
      if (this.closed) return libbpf.bpf_object__close(verified.obj);
      this.#programObj = verified.obj;
      this.#setProgram(verified.fd);
    });
    /* A failure is the caller's through programLoaded(); unawaited, it must not end the process. */
    this.#loaded.catch(() => {});
  }

  #setProgram(fd: number): void {
    this.#programFd = fd;
    this.#programId = programIdOfFd(fd);
  }

  get programFd(): number {
    if (this.#programFd === undefined) throw this.#notLoaded();
    return this.#programFd;
  }

  get programId(): number {
    if (this.#programId === undefined) throw this.#notLoaded();
    return this.#programId;
  }

  programLoaded(): Promise<void> {
    return this.#loaded;
  }

  get programPending(): boolean {
    return this.#programFd === undefined;
  }

  #notLoaded(): DataplaneError {
    return new DataplaneError({
      call: 'dataplane',
      subject: `"${this.objectPath}"`,
      errno: osConstants.errno.EAGAIN,
      detail: 'the program is still being verified (await programLoaded())',
    });
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
    if (this.#programObj !== undefined) libbpf.bpf_object__close(this.#programObj);
    /* A program taken over was never the object's: its fd is ours. */
    if (this.program.takenOver && this.#programFd !== undefined) libc.close(this.#programFd);
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

const FRESH_START = 'a fresh start: no pinned map is adopted';

/** Map sizes and load-time settings: what every object of a load is given alike. */
function configureObject(obj: BpfObjectPtr, options: LoadOptions, objSubject: string): void {
  for (const [name, entries] of Object.entries(options.maxEntries ?? {})) {
    const map = libbpf.bpf_object__find_map_by_name(obj, name);
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
}

/** A second object of the same file, set up alike, each map pointed at the pin the first one made. */
function openOverPins(objectPath: string, options: LoadOptions, pinDir: string): BpfObjectPtr {
  const objSubject = JSON.stringify(objectPath);
  const obj = checkedPointer('bpf_object__open_file', objSubject, () => libbpf.bpf_object__open_file(objectPath, null));
  try {
    configureObject(obj, options, objSubject);
    for (const map of userMaps(obj)) {
      const path = join(pinDir, libbpf.bpf_map__name(map));
      checked('bpf_map__set_pin_path', `map "${libbpf.bpf_map__name(map)}", "${path}"`, () => libbpf.bpf_map__set_pin_path(map, path));
    }
    return obj;
  } catch (error) {
    libbpf.bpf_object__close(obj);
    throw error;
  }
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

    configureObject(obj, options, objSubject);

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
      if (!reusePinned || adopted.length === 0) running = FRESH_START;
      else if (!everyMapAdopted || migrations.length > 0) running = 'the maps are not all adopted as they are';
      else if (options.rawValueMaps?.length || missing.length > 0) running = 'an older build is timed (bench)';
      else running = findRunningBuild(pinDir, obj, buildId, [...userMaps(obj)]);
    }
    let program: number | (() => Promise<VerifiedProgram>);
    if (options.verifyInBackground && running === FRESH_START && pinDir !== undefined && missing.length === 0) {
      /* Creates and pins the maps only; the program is verified beside them, on a second object over the same pins. */
      checked('bpf_program__set_autoload', `program "${programName}"`, () => libbpf.bpf_program__set_autoload(prog, false));
      checked('bpf_object__load', objSubject, () => libbpf.bpf_object__load(obj));
      program = () =>
        verifyInBackground(() => openOverPins(objectPath, options, pinDir), programName, objSubject).then((verified) => {
          try {
            recordLoadedBuild(pinDir, verified.fd, buildId);
          } catch (error) {
            libbpf.bpf_object__close(verified.obj);
            throw error;
          }
          return verified;
        });
    } else {
      /* Otherwise: creates (or reuses) maps, pins new ones at their pin path, and verifies the program. */
      if (typeof running === 'string') checked('bpf_object__load', objSubject, () => withSignalsBlocked(() => libbpf.bpf_object__load(obj)));
      program = typeof running === 'string' ? checked('bpf_program__fd', `program "${programName}"`, () => libbpf.bpf_program__fd(prog)) : running.programFd;
      if (typeof running === 'string' && pinDir !== undefined) recordLoadedBuild(pinDir, program, buildId);
      else if (typeof running !== 'string') takenOverFd = program;
    }
    for (const m of migrations) {
      const map = checkedPointer('bpf_object__find_map_by_name', `map "${m.name}" in ${objSubject}`, () => libbpf.bpf_object__find_map_by_name(obj, m.name));
      m.copyFirst(checked('bpf_map__fd', `map "${m.name}"`, () => libbpf.bpf_map__fd(map)));
    }
    const standIns = new Map<MapName, MapInfo>();
    for (const name of missing) standIns.set(name, createStandIn(name, options.standInMaps![name]!));
    const programState =
      typeof running === 'string' ? { takenOver: false, why: running } : { takenOver: true, why: 'the same build and load-time settings run on these maps' };
    const dataplane = new LoadedDataplane(objectPath, buildId, pinDir, obj, program, mapPtrs, standIns, adopted, migrations, programState);
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
