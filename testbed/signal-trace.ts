/*
 * Who signalled whom: the kernel's signal_generate events for SIGKILL,
 * SIGTERM and SIGSTOP, recorded in a tracing instance of the test's own (its
 * own buffer and events: nobody else's tracing changes). A failover test that
 * sees a daemon's child die of a signal can then say who sent it; keepalived's
 * log says only "failed (due to signal 9)".
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './netns.ts';

const TRACEFS = '/sys/kernel/tracing';
const SIGNALS: Record<number, string> = { 9: 'SIGKILL', 15: 'SIGTERM', 19: 'SIGSTOP' };
/* Per CPU; a test's few hundred signals need a few KiB. */
const BUFFER_KB = 256;
/* "sender-1234 [001] d..1.  346.074008: signal_generate: sig=9 errno=0 code=0 comm=keepalived pid=6578 grp=1 res=0" */
const EVENT = /^\s*(.+)-(\d+)\s+\[\d+\]\s+\S+\s+(\d+\.\d+): signal_generate: sig=(\d+) errno=-?\d+ code=-?\d+ comm=(.*) pid=(\d+) grp=\d+ res=(\d+)$/;

export interface SignalEvent {
  /** CLOCK_MONOTONIC in ms, as `monotonicMs()`. */
  atMs: number;
  sender: string;
  signal: string;
  target: string;
  /** 0 delivered; 1 ignored; 2 already pending; 3 lost; 4 for a dying process. */
  result: number;
}

/** Now on the trace's clock (CLOCK_MONOTONIC, ms). */
export const monotonicMs = () => Number(process.hrtime.bigint()) / 1e6;

export class SignalTrace {
  readonly #dir: string;

  private constructor(dir: string) {
    this.#dir = dir;
  }

  /** Starts recording, or says why it cannot (no tracefs: the test runs without it). */
  static async start(name: string): Promise<SignalTrace | string> {
    if (!existsSync(join(TRACEFS, 'instances'))) {
      const mounted = await run('mount', ['-t', 'tracefs', 'nodev', TRACEFS]);
      if (mounted.code !== 0) return `no signal trace: tracefs cannot be mounted (${mounted.stderr.trim()})`;
    }
    const dir = join(TRACEFS, 'instances', name);
    try {
      if (existsSync(dir)) rmdirSync(dir);
      mkdirSync(dir);
      writeFileSync(join(dir, 'trace_clock'), 'mono');
      writeFileSync(join(dir, 'buffer_size_kb'), String(BUFFER_KB));
      writeFileSync(join(dir, 'events/signal/signal_generate/filter'), `sig == ${Object.keys(SIGNALS).join(' || sig == ')}`);
      writeFileSync(join(dir, 'events/signal/signal_generate/enable'), '1');
      return new SignalTrace(dir);
    } catch (error) {
      return `no signal trace: ${(error as Error).message}`;
    }
  }

  events(): SignalEvent[] {
    const events: SignalEvent[] = [];
    for (const line of readFileSync(join(this.#dir, 'trace'), 'utf8').split('\n')) {
      const m = EVENT.exec(line);
      if (!m) continue;
      events.push({
        atMs: Number(m[3]) * 1000,
        sender: `${m[1]!.trim()}[${m[2]}]`,
        signal: SIGNALS[Number(m[4])] ?? `signal ${m[4]}`,
        target: `${m[5]}[${m[6]}]`,
        result: Number(m[7]),
      });
    }
    return events;
  }

  /** The signals sent from `fromMs` on (trace clock), one line each, timed from `zeroMs`. */
  describe(fromMs: number, zeroMs: number, max = 24): string[] {
    return this.events()
      .filter((e) => e.atMs >= fromMs)
      .slice(0, max)
      .map((e) => `${(e.atMs - zeroMs).toFixed(0)} ms ${e.sender} ${e.signal} -> ${e.target}${e.result ? ` (result ${e.result})` : ''}`);
  }

  stop(): void {
    try {
      writeFileSync(join(this.#dir, 'events/signal/signal_generate/enable'), '0');
      rmdirSync(this.#dir);
    } catch {
      // gone already
    }
  }
}
