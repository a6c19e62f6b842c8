/*
 * Loading a program while signals arrive (signals.ts): the verifier gives up
 * when a signal is pending for the loading thread, so the load blocks them.
 * The strongest case here is a CPU profiler, which signals the thread every
 * 100 µs: before the block every load failed with EAGAIN within 0.1 s.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { withSignalsBlocked } from '../src/signals.js';
import { objectPath } from './helpers.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'load-under-signals.child.ts');

/* The calling thread's blocked set, as /proc shows it (hex). */
const blockedSignals = () => /^SigBlk:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/thread-self/status', 'utf8'))![1]!;

describe('a load while signals arrive', () => {
  it('withSignalsBlocked blocks every signal it can while it runs, and restores the mask after, also when it throws', () => {
    const before = blockedSignals();
    const inside = withSignalsBlocked(blockedSignals);
    /* SIGTERM (15), SIGHUP (1) and SIGPROF (27) among them. */
    for (const signal of [1, 15, 27]) assert.ok((BigInt(`0x${inside}`) >> BigInt(signal - 1)) & 1n, `signal ${signal} blocked: SigBlk ${inside}`);
    assert.equal(blockedSignals(), before);
    assert.throws(() =>
      withSignalsBlocked(() => {
        throw new Error('inside');
      }),
    );
    assert.equal(blockedSignals(), before);
  });

  it('the program loads under a CPU profiler that signals the thread every 100 µs', () => {
    const profiles = mkdtempSync(join(tmpdir(), 'sluice-cpu-prof-'));
    try {
      const output = execFileSync(
        process.execPath,
        ['--import', 'tsx', '--cpu-prof', '--cpu-prof-dir', profiles, '--cpu-prof-interval', '100', CHILD, objectPath()],
        { encoding: 'utf8', timeout: 60_000 },
      );
      const report = JSON.parse(output.trim().split('\n').at(-1)!) as { loaded: boolean; error?: string; verifiedInstructions?: number };
      assert.deepEqual({ loaded: report.loaded, error: report.error }, { loaded: true, error: undefined });
      assert.ok(report.verifiedInstructions! > 10_000, JSON.stringify(report));
      assert.ok(
        readdirSync(profiles).some((f) => f.endsWith('.cpuprofile')),
        'the profiler ran',
      );
    } finally {
      rmSync(profiles, { recursive: true, force: true });
    }
  });
});
