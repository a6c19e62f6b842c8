/*
 * The pin directory. Pinned maps outlive the agent, which is how a restarted
 * agent adopts the running data plane's state. We mount our own bpffs there
 * rather than rely on /sys/fs/bpf: `ip netns exec` remounts /sys, hiding it.
 */
import { mkdirSync, readdirSync, rmSync, statfsSync, statSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { DataplaneError } from './errors.js';
import { c, lastErrno } from './libc.js';
import { BPF_FS_MAGIC } from './libbpf.js';

export const DEFAULT_PIN_DIR = '/run/sluice/bpf';

/* Iterators the kernel puts in every new bpffs (CONFIG_BPF_PRELOAD); they cannot be unlinked. */
const KERNEL_PRELOADED = new Set(['maps.debug', 'progs.debug']);

export function isBpffs(dir: string): boolean {
  try {
    return statfsSync(dir).type === BPF_FS_MAGIC;
  } catch {
    return false;
  }
}

/** Create `dir` and mount a bpffs on it unless it already is one. */
export function ensureBpffs(dir: string): void {
  mkdirSync(dir, { recursive: true });
  if (isBpffs(dir)) return;
  if (c.mount('bpffs', dir, 'bpf', 0, null) !== 0) {
    throw new DataplaneError({ call: 'mount', subject: `bpffs on "${dir}"`, errno: lastErrno() });
  }
}

/**
 * Remove every pinned object in `dir` (the maps of a data plane being torn
 * down for good). The mount stays. `dir` must be dedicated to Sluice.
 */
export function unpinAll(dir: string): string[] {
  if (!isBpffs(dir)) {
    throw new DataplaneError({
      call: 'unpinAll',
      subject: `"${dir}"`,
      errno: osConstants.errno.EINVAL,
      detail: 'not a bpffs mount; refusing to delete files there',
    });
  }
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    /* Maps and programs are plain files on bpffs; leave any subdirectory to its owner. */
    if (KERNEL_PRELOADED.has(name) || statSync(path).isDirectory()) continue;
    rmSync(path);
    removed.push(name);
  }
  return removed;
}
