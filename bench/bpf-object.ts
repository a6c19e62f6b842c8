/*
 * Compiles one of the bench's own BPF programs (the packet-cost harness, the
 * UDP generator and sink) into $TMPDIR/sluice-bench, with the flags
 * bpf/Makefile uses. Returns the object's path.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { tagged } from '@sluice/testbed/tag';

export function buildBenchBpf(source: string, defines: string[] = []): string {
  const dir = join(tmpdir(), tagged('sluice-bench'));
  mkdirSync(dir, { recursive: true });
  const object = join(dir, basename(source).replace(/\.c$/, '.o'));
  const arch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
  const flags = ['-O2', '-g', '-Wall', '-Werror', '-target', 'bpf', '-mcpu=v3', ...defines.map((d) => `-D${d}`), '-I', `/usr/include/${arch}-linux-gnu`];
  execFileSync('clang', [...flags, '-c', source, '-o', object]);
  return object;
}
