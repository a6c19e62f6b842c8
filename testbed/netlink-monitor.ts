/*
 * `ip -ts monitor` in a namespace, started before an event: the kernel's own
 * notices of routes or addresses changing, each stamped (to the microsecond)
 * when `ip` read it. A test times a failover from these instead of polling
 * with one `ip` process per look, each of which takes 100 ms and more to
 * start on a loaded machine (and so blurs the time by as much). The monitor
 * runs at niceness -10 so that its reading, too, does not wait for a core.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';

export interface NetlinkEvent {
  /** Epoch ms (with the fraction `ip` printed): comparable with Date.now(). */
  at: number;
  /** The notice, its continuation lines (a route's nexthops, an address's lifetimes) joined by '\n'. */
  text: string;
}

/* `ip -ts` prints local time without a zone, e.g. [2026-12-05T02:22:13.655519]: Date reads such a string as local time too. */
const STAMP = /^\[(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\.(\d{6})\] (.*)$/;
/* A monitor subscribes as it starts; this is room for the process to get there before the event it should see. */
const SUBSCRIBE_MS = 300;

export class NetlinkMonitor {
  readonly events: NetlinkEvent[] = [];
  readonly #child: ChildProcess;
  #partial = '';

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => this.#read(chunk));
  }

  static async start(namespace: string, objects: ('route' | 'address')[]): Promise<NetlinkMonitor> {
    const child = spawn('ip', ['netns', 'exec', namespace, 'nice', '-n', '-10', 'ip', '-ts', 'monitor', ...objects], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    await new Promise((resolve) => setTimeout(resolve, SUBSCRIBE_MS));
    if (child.exitCode !== null) throw new Error(`ip monitor in ${namespace} exited (${child.exitCode})`);
    return new NetlinkMonitor(child);
  }

  #read(chunk: string): void {
    const lines = (this.#partial + chunk).split('\n');
    this.#partial = lines.pop() ?? '';
    for (const line of lines) {
      const stamped = STAMP.exec(line);
      if (stamped) this.events.push({ at: new Date(stamped[1]!).getTime() + Number(stamped[2]) / 1000, text: stamped[3]!.trim() });
      else if (line.trim() && this.events.length) this.events.at(-1)!.text += `\n${line.trim()}`;
    }
  }

  /** The first notice at or after `since` (epoch ms) that `match` accepts. */
  first(since: number, match: (text: string) => boolean): NetlinkEvent | undefined {
    return this.events.find((event) => event.at >= since && match(event.text));
  }

  stop(): void {
    if (this.#child.exitCode === null) this.#child.kill('SIGTERM');
  }
}
