/*
 * Shared by the data-plane tests: which object to load, small map sizes,
 * and scratch bpffs mounts and network namespaces that each test creates
 * and removes itself.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FlowValue, decode, ensureBpffs, flowValueLayout, unpinAll } from '../src/index.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * The compiled program: bpf/build/sluice.bpf.o, or SLUICE_BPF_OBJECT to
 * test against another build. A missing object is a failed build, so this
 * throws rather than skipping.
 */
export function objectPath(): string {
  const path = process.env.SLUICE_BPF_OBJECT ?? join(REPO_ROOT, 'bpf/build/sluice.bpf.o');
  if (!existsSync(path)) throw new Error(`${path} does not exist: build it with \`make -C bpf\` (or set SLUICE_BPF_OBJECT)`);
  return path;
}

/* Small tables keep each load in milliseconds (the default flow table is 1M entries, lookup tables 67 MB). */
export const SMALL_MAPS = {
  flows: 16384,
  half_open_flows: 1024,
  lookup_tables: 8,
  services: 16,
  vips: 16,
  service_vips: 16,
  rr_cursors: 16,
  service_counters: 16,
  backends: 64,
  backend_active: 64,
  backend_counters: 64,
  backend_errors: 64,
} as const;

export function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A fresh bpffs mounted in a temporary directory; the returned function unpins, unmounts and removes it. */
export function scratchBpffs(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bpffs-'));
  ensureBpffs(dir);
  return {
    dir,
    remove() {
      unpinAll(dir);
      execFileSync('umount', [dir]);
      rmdirSync(dir);
    },
  };
}

/** `ip` with its output returned, throwing with stderr on failure. */
export function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A flow value with every field zero: tests set only what they care about. */
export function zeroFlowValue(): FlowValue {
  return decode(flowValueLayout, Buffer.alloc(flowValueLayout.size));
}

/**
 * The program built with one of the header's test-only switches
 * (`SLUICE_TEST_FLOW_GENERATION`, `SLUICE_TEST_EXTRA_FIELDS`: a second build
 * whose map entries differ, as another release's would), into a directory of
 * its own under this checkout's bpf/build/. Built from this checkout's bpf/,
 * so it works on a fresh clone; rebuilt only when bpf/'s sources are newer.
 * Not under the system's temp dir: there, checkouts of other branches shared
 * one object, and make took another branch's build (of other sources, built
 * later) as up to date.
 */
export function variantObjectPath(define: 'SLUICE_TEST_FLOW_GENERATION' | 'SLUICE_TEST_EXTRA_FIELDS'): string {
  const build = join(REPO_ROOT, 'bpf/build', define.toLowerCase());
  execFileSync('make', ['-s', '-C', join(REPO_ROOT, 'bpf'), `BUILD=${build}`, `EXTRA_CFLAGS=-D${define}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  return join(build, 'sluice.bpf.o');
}
