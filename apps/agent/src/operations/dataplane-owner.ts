/*
 * Owns the XDP program on the balancer's interfaces. Starting adopts the
 * pinned maps of a data plane that is already running and swaps the program
 * in atomically, so an agent restart neither drops a packet nor forgets a flow.
 * An upgrade whose maps have another layout migrates them (dataplane/migrate.ts):
 * copied before the swap, pinned and topped up right after it.
 */
import { type Dataplane, type XdpMode, ensureBpffs, isBpffs, loadDataplane, unpinAll } from '@sluice/dataplane';
import { detachXdp } from '@sluice/dataplane';
import type { MapName } from '@sluice/dataplane';
import { flowHashSeed, hashSeedOfFlowSeed } from '@sluice/dataplane/lookup';
import { log } from '../log.js';
import { VipFilterWriter } from '../reconcile/vip-filter.js';
import { detachProbeSteering } from '../health/index.js';

export interface DataplaneOwnerOptions {
  objectPath: string;
  pinDir: string;
  interfaces: string[];
  xdpMode: XdpMode;
  maxEntries?: Partial<Record<MapName, number>>;
  /** New flows per second per CPU above which consistent-hash UDP flows go unrecorded (0: off); unset leaves the maps' value. */
  flowGuardRate?: number;
  /** ICMP too-big answers a second, all CPUs (0: never); a load-time setting of the program. Unset keeps its C default. */
  icmpTooBigRate?: number;
  /**
   * The operator's hash seed (0..2^32-1): sets the program's flow_hash_seed (lookup/seed.ts).
   * Unset keeps the C default, which is hash seed 0. The new program of an upgrade gets it
   * from the settings, like every load-time setting.
   */
  hashSeed?: number;
  /** Write flow events for flow sync (the flow_events_on load-time setting): only a node with a sync peer drains them. */
  flowEvents?: boolean;
  /**
   * On a fresh start, verify the program on a thread while the caller fills
   * the maps (LoadOptions.verifyInBackground); finishDataplaneStart() then
   * attaches it. Other starts attach at once, as without it.
   */
  verifyInBackground?: boolean;
}

/* The data planes whose attach waits for their program's background verification. */
const attachLater = new WeakMap<Dataplane, DataplaneOwnerOptions>();

export function startDataplane(options: DataplaneOwnerOptions): Dataplane {
  ensureBpffs(options.pinDir);
  const dataplane = loadDataplane({
    objectPath: options.objectPath,
    pinDir: options.pinDir,
    maxEntries: options.maxEntries,
    reusePinned: true,
    tunables: {
      ...(options.icmpTooBigRate !== undefined ? { too_big_answers_per_second: BigInt(options.icmpTooBigRate) } : {}),
      ...(options.hashSeed !== undefined ? { flow_hash_seed: BigInt(flowHashSeed(options.hashSeed)) } : {}),
      flow_events_on: options.flowEvents ? 1n : 0n,
    },
    verifyInBackground: options.verifyInBackground,
  });
  if (dataplane.adoptedMaps.length > 0) log('info', `adopted ${dataplane.adoptedMaps.length} pinned maps from ${options.pinDir}`);
  if (dataplane.programPending) log('info', `created and pinned the maps; verifying the program beside them (${dataplane.program.why})`);
  for (const change of dataplane.migratedMaps) log('info', `migrating pinned ${change}`);
  const tooBig = dataplane.tunables().too_big_answers_per_second;
  log('info', `ICMP too-big answers: ${tooBig === 0n ? 'never (--icmp-too-big-rate 0)' : `at most ${tooBig} a second`}`);
  log('info', `hash seed ${hashSeedOfFlowSeed(dataplane.tunables().flow_hash_seed)}: every node behind the same routers must run the same one`);
  if (options.flowGuardRate !== undefined) {
    dataplane.maps.floodSettings.update(0, { new_flow_rate_per_cpu: BigInt(options.flowGuardRate) });
  }
  /*
   * Before the program goes in: from the VIPs it already serves (adopted or
   * migrated vips), so a build that brings vip_filter anew (an upgrade) does
   * not pass VIP traffic to the kernel until the first reconcile.
   */
  new VipFilterWriter(dataplane.maps.vipFilter).write([...dataplane.maps.vips.entries()].map(([key]) => key.addr));
  if (dataplane.programPending) attachLater.set(dataplane, options);
  else attachProgram(dataplane, options);
  return dataplane;
}

/** After a background verification: waits for the program and attaches it. Nothing to do for any other start. */
export async function finishDataplaneStart(dataplane: Dataplane): Promise<void> {
  const options = attachLater.get(dataplane);
  if (!options) return;
  attachLater.delete(dataplane);
  await dataplane.programLoaded();
  attachProgram(dataplane, options);
}

function attachProgram(dataplane: Dataplane, options: DataplaneOwnerOptions): void {
  log(
    'info',
    dataplane.program.takenOver
      ? `took over the running program (id ${dataplane.programId}): ${dataplane.program.why}, so it is not loaded and verified again`
      : `loaded and verified the program (id ${dataplane.programId}): ${dataplane.program.why}`,
  );
  for (const ifname of options.interfaces) {
    const attached = dataplane.attachedProgramId(ifname, options.xdpMode);
    if (attached === undefined) {
      dataplane.attach(ifname, options.xdpMode);
      log('info', `attached XDP (${options.xdpMode}) to ${ifname}`);
    } else if (attached === dataplane.programId) {
      log('info', `${ifname} already runs this program`);
    } else {
      dataplane.replace(ifname, options.xdpMode);
      log('info', `replaced the XDP program on ${ifname} in place`);
    }
  }
  /* Right after the swap: the old program has stopped writing the old maps. */
  for (const done of dataplane.finishMigration()) log('info', `migrated ${done}`);
}

/** Takes the balancer out of the path: detach everywhere (XDP and the probes' steering), forget all state. */
export function teardownDataplane(options: Pick<DataplaneOwnerOptions, 'pinDir' | 'interfaces' | 'xdpMode'>): void {
  for (const ifname of options.interfaces) {
    try {
      detachXdp(ifname, options.xdpMode);
      log('info', `detached XDP from ${ifname}`);
    } catch (error) {
      log('warn', `detaching ${ifname}: ${(error as Error).message}`);
    }
    /* The health probes' steering at egress goes with it (the agent attached both). */
    try {
      detachProbeSteering(ifname);
    } catch (error) {
      log('warn', `detaching the health probes' steering from ${ifname}: ${(error as Error).message}`);
    }
  }
  if (isBpffs(options.pinDir)) log('info', `unpinned ${unpinAll(options.pinDir).length} maps from ${options.pinDir}`);
}
