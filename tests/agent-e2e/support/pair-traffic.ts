/*
 * Traffic through an active/standby pair for the keepalived tests: held
 * connections on known source ports (one per target and algorithm), what
 * each node's flow table says of them, and a bounded stream of new HTTP
 * connections.
 */
import { allConnections, apiClient } from '@sluice/testbed/api-client';
import { type Hold, http, hold } from '@sluice/testbed/client-traffic';
import { execInChecked } from '@sluice/testbed/netns';
import { HTTP, LINE, type Pair, type Target, targets } from '@sluice/testbed/ha-pair';

/* Until a held connection's flow shows on the backup (the conns view is the GC's snapshot, refreshed every 5 s). */
export const SYNCED_WAIT_MS = 20_000;
/*
 * A new connection's budget (connect, request, answer) through a takeover: one opened in the ~2 s
 * without a master waits out TCP's own retransmissions (SYN after 1 s then 2 s more; data from
 * 200 ms doubling), which can pass the client's default 5 s (CI run 29: 1 of 120 timed out at 5 s
 * with a 2.2 s takeover). One that never completes still fails; the slowest is logged.
 */
export const NEW_CONNECTION_TIMEOUT_MS = 10_000;

export interface Held {
  target: Target;
  sourcePort: number;
  hold: Hold;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The helpers, over the pair the test has up now (current()); `opened` is every held connection, for the teardown. */
export function pairTraffic(current: () => Pair) {
  /* Held source ports above the client's ephemeral range (1024-65000): a known 5-tuple, never reused in a run. */
  let nextHeldPort = 65_001;
  const opened: Hold[] = [];
  const net = (name: string) => current().nodes.get(name)!.network;
  const nameOf = (address: string) => current().ha.backends.find((b) => b.ipv4 === address)?.name ?? address;

  /*
   * All at once: pair-arp-flip.test.ts opens them while n1's agent is paused, and the pause is kept short.
   * Every attempt is settled before a failure is thrown, so `opened` has each client the teardown must stop.
   */
  async function openHeld(perTarget: number): Promise<Held[]> {
    const planned = targets(current().ha).flatMap((target) => Array.from({ length: perTarget }, () => ({ target, sourcePort: nextHeldPort++ })));
    const settled = await Promise.allSettled(
      planned.map(async ({ target, sourcePort }) => {
        const h = await hold(current().ha.client, target.vip, LINE, { seconds: 300, intervalMs: 100, source: current().ha.client.ipv4, sourcePort });
        opened.push(h);
        return { target, sourcePort, hold: h };
      }),
    );
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.map((r) => (r as PromiseFulfilledResult<Held>).value);
  }

  const describeHeld = (h: Held) => `${h.target.vip}:${LINE} (${h.target.algorithm}, ${h.target.mode}) sport ${h.sourcePort} to ${h.hold.backend}`;

  /** The backup has every held connection's flow, on the backend that greeted it (the flow sync did its job before the event). */
  async function waitSynced(name: string, held: Held[]): Promise<number> {
    const started = performance.now();
    for (;;) {
      const flows = await lineBackends(name);
      const missing = held.filter((h) => flows.get(h.sourcePort) !== h.hold.backend);
      if (missing.length === 0) return performance.now() - started;
      if (performance.now() - started > SYNCED_WAIT_MS)
        throw new Error(`${name} lacks ${missing.length} held flows (or names another backend): ${missing.map(describeHeld).join('; ')}`);
      await sleep(500);
    }
  }

  /** Broken held connections, described with the client's reason; [] when all lived. */
  function brokenOf(outcomes: Awaited<ReturnType<typeof closeHeld>>): string[] {
    return outcomes
      .filter((o) => !o.ok)
      .map((o) => `${describeHeld(o.held)}: ${o.report?.brokenReason ?? ''} ${o.report?.errorSamples.slice(0, 2).join('; ') ?? 'no report'}`);
  }

  async function syncStatus(name: string) {
    return (await apiClient(net(name)).node.status.query()).sync!;
  }

  /** Ends each connection; ok: never broken, every reply in order from the backend that greeted it. */
  async function closeHeld(held: Held[]) {
    return Promise.all(
      held.map(async (h) => {
        const report = await h.hold.stop().catch(() => undefined);
        const ok = !!report && report.ok !== false && !report.broken && report.errors === 0 && report.received === report.sent && report.received > 0;
        return { held: h, report, ok };
      }),
    );
  }

  /** New HTTP connections to every target: one batch a second, bounded; every batch awaited. */
  async function newConnections(perSecond: number, seconds: number) {
    const each = Math.max(1, Math.floor(perSecond / targets(current().ha).length));
    const batches: Promise<{ target: string; requested: number; attempted: number; succeeded: number; failures: Record<string, number>; slowestMs: number }>[] =
      [];
    for (let s = 0; s < seconds; s++) {
      for (const t of targets(current().ha))
        batches.push(
          http(current().ha.client, t.vip, HTTP, { count: each, concurrency: 1, requestTimeoutMs: NEW_CONNECTION_TIMEOUT_MS }).then((r) => ({
            target: `${t.algorithm} ${t.mode}`,
            requested: each,
            attempted: r.succeeded + r.failed,
            succeeded: r.succeeded,
            failures: r.failures,
            slowestMs: r.latencyMs?.max ?? 0,
          })),
        );
      await sleep(1000);
    }
    /* failuresByTarget: which service lost them (a flow the backup never heard of keeps its backend there only under a consistent hash). */
    const total = {
      requested: 0,
      attempted: 0,
      succeeded: 0,
      failures: {} as Record<string, number>,
      failuresByTarget: {} as Record<string, number>,
      slowestMs: 0,
    };
    for (const r of await Promise.all(batches)) {
      total.slowestMs = Math.max(total.slowestMs, r.slowestMs);
      total.requested += r.requested;
      total.attempted += r.attempted;
      total.succeeded += r.succeeded;
      for (const [reason, n] of Object.entries(r.failures)) {
        total.failures[reason] = (total.failures[reason] ?? 0) + n;
        total.failuresByTarget[r.target] = (total.failuresByTarget[r.target] ?? 0) + n;
      }
    }
    return total;
  }

  /** Every IPv4 address on each interface of a namespace, up or down (a dead node's leftover VIPs). */
  async function addressesOnAll(namespace: string): Promise<Map<string, string[]>> {
    const r = await execInChecked(namespace, 'ip', ['-4', '-j', 'addr', 'show']);
    const links = JSON.parse(r.stdout || '[]') as { ifname: string; addr_info?: { local: string }[] }[];
    return new Map(links.map((l) => [l.ifname, (l.addr_info ?? []).map((a) => a.local)]));
  }

  /*
   * The line-port flows a node's agent has, by client port: the backend it sends each to. Every page:
   * the dead master's stream alone leaves over a thousand flows (CI, stop 24: a held flow was on page 2).
   */
  async function lineBackends(name: string): Promise<Map<number, string>> {
    const flows = await allConnections(net(name), { protocol: 'tcp' });
    return new Map(flows.filter((f) => f.vipPort === LINE).map((f) => [f.clientPort, nameOf(f.backendAddress)]));
  }

  /** Packets the node's program forwarded to backends (sum over services), from the agent. */
  async function forwarded(name: string): Promise<number> {
    const totals = await apiClient(net(name)).stats.totals.query();
    return totals.services.reduce((sum, s) => sum + s.packets, 0);
  }

  return { opened, net, nameOf, openHeld, describeHeld, waitSynced, brokenOf, syncStatus, closeHeld, newConnections, addressesOnAll, lineBackends, forwarded };
}
