/*
 * Long-lived connections for the failover tests, each from a source port
 * chosen so that the router's path is known (the fleet is spread evenly over
 * the nodes), and each exchanging a numbered line every 100 ms with the
 * backend that greeted it (testbed/client.mjs hold: any reply out of order or
 * from another backend, and any reset, counts against it). Plus a bounded
 * stream of new connections, and a look into a node's flow table.
 */
import { openPinnedMaps } from '@sluice/dataplane';
import { type Hold, type HoldReport, hold, http } from '@sluice/testbed/client-traffic';
import { type Ecmp, routerNextHops } from '@sluice/testbed/ecmp';
import type { NodeAgent } from '@sluice/testbed/ecmp-agent';
import { HTTP, LINE, type Target, hopOf, routerPath } from './ecmp-failover.ts';

/*
 * Source ports above the client's ephemeral range (1024-65000, ecmp.ts): the
 * kernel never hands them to the new-connection stream, and each is used
 * once per run (no TIME_WAIT clash).
 */
export const FIRST_HELD_PORT = 65_001;
const LAST_HELD_PORT = 65_535;
const HOLD_SECONDS = 300;
const INTERVAL_MS = 100;

export interface Held {
  target: Target;
  sourcePort: number;
  /** The node the router sent it to when it opened. */
  openedVia: string;
  hold: Hold;
}

export const describeHeld = (h: Held) =>
  `${h.target.vip}:${LINE} (${h.target.algorithm} ${h.target.mode}) sport ${h.sourcePort} via ${h.openedVia} to ${h.hold.backend}`;

/** Hands out held source ports in order, across the tests of one run. */
export class PortCursor {
  #next = FIRST_HELD_PORT;
  take(): number {
    if (this.#next > LAST_HELD_PORT) throw new Error(`no held source ports left (${FIRST_HELD_PORT}-${LAST_HELD_PORT} used)`);
    return this.#next++;
  }
}

/**
 * Opens `perNode` connections to every target through each of `nodes` (the
 * router's current paths), sequentially (each waits for its greeting).
 */
export async function openHeld(ecmp: Ecmp, targets: Target[], nodes: string[], perNode: number, ports: PortCursor): Promise<Held[]> {
  const held: Held[] = [];
  try {
    for (const target of targets) {
      /* A node the router has no path to would take every source port in turn and never be picked. */
      const hops = await routerNextHops(ecmp, target.vip);
      const unrouted = nodes.filter((name) => !hops.includes(hopOf(ecmp.nodes.find((n) => n.name === name)!)));
      if (unrouted.length > 0) throw new Error(`the router has no path to ${unrouted.join(', ')} for ${target.vip} (next hops: ${hops.join(', ') || 'none'})`);
      const want = new Map(nodes.map((n) => [n, perNode]));
      while ([...want.values()].some((n) => n > 0)) {
        const sourcePort = ports.take();
        const via = await routerPath(ecmp, target.vip, sourcePort, LINE);
        if (!want.get(via)) continue;
        want.set(via, want.get(via)! - 1);
        const h = await hold(ecmp.client, target.vip, LINE, { seconds: HOLD_SECONDS, intervalMs: INTERVAL_MS, source: ecmp.client.ipv4, sourcePort });
        held.push({ target, sourcePort, openedVia: via, hold: h });
      }
    }
    return held;
  } catch (error) {
    await Promise.all(held.map((h) => h.hold.stop().catch(() => undefined)));
    throw error;
  }
}

/** The node the router sends each connection to now. */
export const pathsNow = (ecmp: Ecmp, held: Held[]) => Promise.all(held.map((h) => routerPath(ecmp, h.target.vip, h.sourcePort, LINE)));

/** Waits until every connection has had `count` more replies; the ones that did not, with the reason. */
export async function stalled(held: Held[], count: number, timeoutMs: number): Promise<string[]> {
  const results = await Promise.allSettled(held.map((h) => h.hold.exchanged(count, timeoutMs)));
  return results.flatMap((r, k) => (r.status === 'rejected' ? [`${describeHeld(held[k]!)}: ${(r.reason as Error).message}`] : []));
}

export interface HeldOutcome {
  held: Held;
  report: HoldReport | undefined;
  ok: boolean;
}

/** Ends every connection and returns its client's report: ok means never broken, every reply in order from its one backend. */
export async function closeHeld(held: Held[]): Promise<HeldOutcome[]> {
  return Promise.all(
    held.map(async (h) => {
      const report = await h.hold.stop().catch(() => undefined);
      const ok = !!report && report.ok !== false && !report.broken && report.errors === 0 && report.received === report.sent && report.received > 0;
      return { held: h, report, ok };
    }),
  );
}

export const describeBroken = (outcomes: HeldOutcome[]) =>
  outcomes
    .filter((o) => !o.ok)
    .map((o) => `${describeHeld(o.held)}: ${o.report ? `${o.report.brokenReason ?? ''} ${o.report.errorSamples.slice(0, 3).join('; ')}` : 'no report'}`);

/** The node's flows to the line port, by client source port (the held connections it has seen). */
export function lineFlows(agent: NodeAgent): Map<number, { packets: bigint; backendId: number }> {
  const pinned = openPinnedMaps(agent.network.pinDir);
  try {
    const flows = new Map<number, { packets: bigint; backendId: number }>();
    for (const [key, value] of pinned.maps.flows.entries()) {
      if (key.dst_port === LINE) flows.set(key.src_port, { packets: value.packets, backendId: value.backend_id });
    }
    return flows;
  } finally {
    pinned.close();
  }
}

export interface StreamReport {
  /** Connections the stream set out to open: every one must be attempted. */
  requested: number;
  attempted: number;
  succeeded: number;
  failures: Record<string, number>;
}

/**
 * New HTTP connections: every second one batch of `perSecond` spread over
 * the targets, for `seconds` seconds (bounded; batches overlap when some wait
 * for a retransmitted SYN). Resolves once every batch has reported.
 */
export async function newConnections(ecmp: Ecmp, targets: Target[], perSecond: number, seconds: number): Promise<StreamReport> {
  const each = Math.max(1, Math.floor(perSecond / targets.length));
  const batches: Promise<StreamReport>[] = [];
  for (let s = 0; s < seconds; s++) {
    for (const t of targets)
      batches.push(
        http(ecmp.client, t.vip, HTTP, { count: each, concurrency: 2 }).then((r) => ({
          requested: each,
          attempted: r.succeeded + r.failed,
          succeeded: r.succeeded,
          failures: r.failures,
        })),
      );
    await new Promise((r) => setTimeout(r, 1000));
  }
  const total: StreamReport = { requested: 0, attempted: 0, succeeded: 0, failures: {} };
  for (const r of await Promise.all(batches)) {
    total.requested += r.requested;
    total.attempted += r.attempted;
    total.succeeded += r.succeeded;
    for (const [reason, n] of Object.entries(r.failures)) total.failures[reason] = (total.failures[reason] ?? 0) + n;
  }
  return total;
}
