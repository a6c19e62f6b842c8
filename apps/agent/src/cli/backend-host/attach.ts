/*
 * Attach and detach the decapsulation program (bpf/src/decap.bpf.c) on a
 * backend host: XDP where the driver runs it, TC ingress otherwise. Its maps
 * are pinned under the run directory, filled with the host's tunnel
 * addresses and GUE port; attaching again replaces the program and the
 * address set in place. A filter or XDP program that is not the one this
 * command attached is never touched.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { DECAP_OBJECT_PATH } from '../../repo-paths.js';
import {
  type DecapProgram,
  type TcFilterId,
  addressToBytes,
  attachTcIngress,
  attachXdp,
  attachedProgramId,
  detachTcIngress,
  detachXdp,
  isBpffs,
  loadDecap,
  programIdOfFd,
  replaceXdp,
  tcIngressProgramId,
  unpinAll,
} from '@sluice/dataplane';
import { type MssFit, type MssRestore, fitMss, restoreMss } from './mss.js';
import { type DecapMode, type HostState, pinDirOf, readState, removeState, writeState } from './state.js';

export const DEFAULT_DECAP_OBJECT = DECAP_OBJECT_PATH;

/* Sluice's filter on an ingress hook: found and removed by these, never another's. */
export const DECAP_TC_FILTER: TcFilterId = { handle: 0x5d1c, priority: 1 };

export interface AttachRequest {
  interface: string;
  mode: DecapMode;
  addresses: string[];
  guePort?: number;
  runDir: string;
  objectPath?: string;
  /** Leave the routes' advmss as they are (the operator clamps the MSS some other way). */
  keepMss?: boolean;
}

const keyText = (key: { addr: Uint8Array; family: number }) => `${key.family} ${Buffer.from(key.addr).toString('hex')}`;

/* The address map becomes exactly `addresses`: new ones added first, then the old ones dropped. */
function fillMaps(decap: DecapProgram, request: AttachRequest): void {
  const keys = request.addresses.map((address) => {
    const { bytes, family } = addressToBytes(address);
    return { addr: Buffer.from(bytes), family };
  });
  const wanted = new Set(keys.map(keyText));
  for (const key of keys) decap.maps.addresses.update(key, 1);
  for (const [key] of [...decap.maps.addresses.entries()]) {
    if (!wanted.has(keyText(key))) decap.maps.addresses.delete(key);
  }
  decap.maps.settings.update(0, { gue_port: request.guePort ?? 0 });
}

/** What runs now where `state` says the program was attached, or undefined. */
export function attachedDecapId(state: Pick<HostState, 'interface' | 'mode'>): number | undefined {
  return state.mode === 'xdp' ? attachedProgramId(state.interface, 'native') : tcIngressProgramId(state.interface, DECAP_TC_FILTER);
}

function attachProgram(decap: DecapProgram, request: AttachRequest, previous: HostState | undefined): number {
  if (request.mode === 'tc') {
    attachTcIngress(decap.programFds.tc, request.interface, DECAP_TC_FILTER);
    return programIdOfFd(decap.programFds.tc);
  }
  const running = attachedProgramId(request.interface, 'native');
  const attachNative = () => {
    try {
      attachXdp(decap.programFds.xdp, request.interface, 'native');
    } catch (error) {
      /* A driver without native XDP refuses (EOPNOTSUPP, or EINVAL on some): the TC entry point works on any interface. */
      throw new Error(`${(error as Error).message}\n${request.interface} may have no native XDP: attach with --mode tc instead`);
    }
  };
  const ours = previous?.interface === request.interface && previous.mode === 'xdp' && running === previous.programId;
  if (running === undefined) attachNative();
  else if (ours) replaceXdp(decap.programFds.xdp, request.interface, 'native');
  else {
    throw new Error(
      `${request.interface} already runs XDP program id ${running}, not the decapsulation program this command attached; detach it first (ip link set dev ${request.interface} xdp off) or use --mode tc`,
    );
  }
  return programIdOfFd(decap.programFds.xdp);
}

/** Removes the program `state` describes, if it is still the one running there. */
function detachProgram(state: HostState): boolean {
  const running = attachedDecapId(state);
  if (running === undefined || running !== state.programId) return false;
  if (state.mode === 'xdp') detachXdp(state.interface, 'native');
  else detachTcIngress(state.interface, DECAP_TC_FILTER);
  return true;
}

export interface AttachResult {
  state: HostState;
  /** The advmss this attach set (undefined with keepMss), and the routes it could not change. */
  mss?: MssFit;
}

export function attachDecap(request: AttachRequest): AttachResult {
  const previous = readState(request.runDir);
  const decap = loadDecap({ objectPath: request.objectPath ?? DEFAULT_DECAP_OBJECT, pinDir: pinDirOf(request.runDir) });
  try {
    /* Addresses first: the program strips nothing until it knows them. */
    fillMaps(decap, request);
    const programId = attachProgram(decap, request, previous);
    const state: HostState = { interface: request.interface, mode: request.mode, addresses: request.addresses, guePort: request.guePort, programId };
    /* Moved to another interface or hook: the old attachment goes, once the new one runs. */
    if (previous && (previous.interface !== state.interface || previous.mode !== state.mode)) detachProgram(previous);
    state.mss = previous?.mss;
    if (request.keepMss) {
      writeState(request.runDir, state);
      return { state };
    }
    const mss = fitMss(state, previous?.mss);
    state.mss = mss.changes;
    writeState(request.runDir, state);
    return { state, mss };
  } finally {
    decap.close();
  }
}

export interface DetachResult {
  /** What was attached, per the run directory (undefined: nothing recorded). */
  state?: HostState;
  /** False when the interface no longer ran the recorded program (left as it was). */
  detached: boolean;
  unpinned: string[];
  /** The advmss attach had set, put back (or left, when the route changed since). */
  mss: MssRestore[];
}

export function detachDecap(runDir: string): DetachResult {
  const state = readState(runDir);
  const detached = state ? detachProgram(state) : false;
  const mss = restoreMss(state?.mss ?? []);
  const pinDir = pinDirOf(runDir);
  let unpinned: string[] = [];
  if (existsSync(pinDir) && isBpffs(pinDir)) {
    unpinned = unpinAll(pinDir);
    /* The bpffs was mounted by attach for these pins only. */
    execFileSync('umount', [pinDir], { stdio: ['ignore', 'ignore', 'pipe'] });
  }
  removeState(runDir);
  return { state, detached, unpinned, mss };
}
