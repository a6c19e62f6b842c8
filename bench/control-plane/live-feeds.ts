/*
 * Open consoles, as the agent sees them: `stats.live` subscriptions on its
 * unix socket (server-sent events, as the console's server asks for them),
 * each counting the samples it receives. No browser: what is measured is the
 * agent's side of the feed.
 */
import { readFileSync } from 'node:fs';
import { type ClientRequest, request } from 'node:http';
import { type BenchRecord, notMeasured } from '../record.js';
import { round } from '../stats.js';
import { sleep } from '../processes.js';
import type { AgentHandle } from '../sluice-agent.js';
import { cpuPercentOver } from './agent-idle.js';

export interface LiveFeeds {
  /** Samples received so far, per feed. */
  samples(): number[];
  close(): void;
}

export function openLiveFeeds(socketPath: string, token: string, count: number): LiveFeeds {
  const counts = new Array<number>(count).fill(0);
  const requests: ClientRequest[] = [];
  for (let k = 0; k < count; k++) {
    const req = request(
      { socketPath, path: '/stats.live', method: 'GET', headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` } },
      (res) => {
        res.setEncoding('utf8');
        let partial = '';
        res.on('data', (chunk: string) => {
          const lines = (partial + chunk).split('\n');
          partial = lines.pop() ?? '';
          /* tRPC's events: a sample is a data line holding an object with "changes"; pings and the connected event are not. */
          for (const line of lines) if (line.startsWith('data: ') && line.includes('"changes"')) counts[k]!++;
        });
        res.on('error', () => undefined);
      },
    );
    req.on('error', () => undefined);
    req.end();
    requests.push(req);
  }
  return {
    samples: () => [...counts],
    close: () => {
      for (const req of requests) req.destroy();
    },
  };
}

/* Three operators with the console open; windows long enough for 10 ms ticks to say 0.1 % apart. */
const FEEDS = 3;
const WINDOW_S = 20;
/* The feeds' first samples, and the agent's answer to their requests, before the window. */
const FEEDS_SETTLE_MS = 3_000;
export const LIVE_FEEDS_FIGURE = `control-plane/at-scale/agent-cpu/with-${FEEDS}-live-feeds`;

/**
 * The agent's CPU with three live feeds open, beside the same agent's CPU in
 * the window just before without them (the reference): what open consoles
 * cost the agent at this scale. Never throws.
 */
export async function measureLiveFeedsCost(agent: AgentHandle, setup: string): Promise<BenchRecord> {
  let feeds: LiveFeeds | undefined;
  try {
    const without = await cpuPercentOver(agent.pid, WINDOW_S);
    feeds = openLiveFeeds(agent.socket, readFileSync(agent.tokenFile, 'utf8').trim(), FEEDS);
    await sleep(FEEDS_SETTLE_MS);
    const received = feeds.samples();
    const withFeeds = await cpuPercentOver(agent.pid, WINDOW_S);
    const during = feeds.samples().map((n, k) => n - received[k]!);
    /* Fewer than one a second means an agent falling behind (the CPU figure still stands); under half, feeds that did not run. */
    if (during.some((n) => n < WINDOW_S / 2)) throw new Error(`a feed received ${during.join(', ')} samples in ${WINDOW_S} s`);
    return {
      section: 'control-plane',
      name: LIVE_FEEDS_FIGURE,
      value: round(withFeeds, 3),
      unit: '% of a core',
      referenceName: 'the same agent without live feeds, the window before',
      referenceValue: round(without, 3),
      ratio: round(withFeeds / without, 3),
      runs: 1,
      spread: null,
      note: `utime+stime of the agent over ${WINDOW_S} s with ${FEEDS} stats.live subscriptions open on its socket (server-sent events, as the console's server opens them; samples received ${during.join(', ')}), against ${WINDOW_S} s just before without them; ${setup}`,
    };
  } catch (error) {
    return notMeasured('control-plane', LIVE_FEEDS_FIGURE, '% of a core', `failed: ${(error as Error).message.split('\n')[0]}`);
  } finally {
    feeds?.close();
  }
}
