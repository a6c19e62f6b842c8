/*
 * Where `sluice backend-host` keeps what it attached: the run directory holds
 * state.json (interface, mode, addresses, GUE port, program id, the advmss it
 * set) and bpf/, a
 * bpffs the command mounts for the decapsulation program's pinned maps, so
 * `check` and `detach` find what `attach` did.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MssChange } from './mss.js';

export const DEFAULT_RUN_DIR = '/run/sluice-backend';

export type DecapMode = 'xdp' | 'tc';

export interface HostState {
  interface: string;
  mode: DecapMode;
  /** This host's tunnel endpoint addresses (what balancers send IPIP/GUE to). */
  addresses: string[];
  /** GUE destination port; undefined: GUE off. */
  guePort?: number;
  /** Kernel id of the attached program, to tell it from anyone else's. */
  programId: number;
  /** The default routes whose advmss attach set, and what they had before (detach restores it). */
  mss?: MssChange[];
}

export const pinDirOf = (runDir: string) => join(runDir, 'bpf');
const stateFileOf = (runDir: string) => join(runDir, 'state.json');

export function readState(runDir: string): HostState | undefined {
  const file = stateFileOf(runDir);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as HostState;
}

export function writeState(runDir: string, state: HostState): void {
  mkdirSync(runDir, { recursive: true });
  writeFileSync(stateFileOf(runDir), `${JSON.stringify(state, null, 2)}\n`);
}

export function removeState(runDir: string): void {
  rmSync(stateFileOf(runDir), { force: true });
}
