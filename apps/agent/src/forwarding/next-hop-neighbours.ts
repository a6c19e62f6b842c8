/*
 * Keeps the MACs the data plane forwards to resolved. It takes a next hop's
 * MAC from the kernel's neighbour table (bpf_fib_lookup) and drops the packet
 * when it is unresolved (CNT_DROP_DSR_NO_NEIGHBOUR, CNT_DROP_TUNNEL_NO_NEXT_HOP):
 * nothing else on the balancer need talk to a backend it only forwards to, so
 * without this the entry would never be made, or would go stale and fail.
 * The next hop of a dsr backend is the backend itself (on-link); of an ipip or
 * gue backend, the gateway the kernel routes it through, or the backend when
 * it is on-link.
 *
 * For each next hop the agent asks the kernel for a "managed" entry (the
 * kernel resolves it and keeps refreshing it itself, Linux 5.16+) with
 * NTF_USE (probe now). Every refreshMs it reads the entries back and looks
 * the routes up again: one that is missing or failed is asked for again and
 * logged once per change of state, so an operator sees a backend or gateway
 * that stopped answering ARP/ND. When no backend uses a next hop any more,
 * an entry the agent made for a backend is removed; a gateway's is left to
 * the kernel (the host routes through it anyway).
 */
import { canonicalAddress } from '@sluice/api';
import type { HostNetwork, NeighbourEntry, NeighbourTarget, RouteToAddress } from './host-network.js';

/* The kernel refreshes managed entries itself; this pass only repairs and reports, so every 10 s is plenty. */
export const DEFAULT_NEIGHBOUR_REFRESH_MS = 10_000;

/* The kernel refuses entries past gc_thresh3 (1024 by default) with ENOBUFS: each next hop holds one. */
const TABLE_FULL =
  "the kernel's neighbour table is full: raise net.ipv4.neigh.default.gc_thresh3 (IPv6: net.ipv6.neigh.default.gc_thresh3) above the number of next hops";

/** Entry states in which the data plane has a MAC to use. */
const RESOLVED = new Set(['REACHABLE', 'STALE', 'DELAY', 'PROBE', 'PERMANENT']);

type Log = (level: 'info' | 'warn' | 'error', message: string) => void;

export interface NextHopStatus {
  /** The backend address whose packets go to this next hop. */
  backend: string;
  /** The backend itself (on-link) or the gateway toward it; null before the route is known. */
  nextHop: string | null;
  dev: string | null;
  /** The MAC the data plane will use, null while unresolved. */
  lladdr: string | null;
  state: string;
  /** Why the agent could not ask (no route): null when it could. */
  error: string | null;
}

export class NextHopNeighbours {
  readonly #network: HostNetwork;
  readonly #log: Log;
  readonly #refreshMs: number;
  /** By backend address. */
  readonly #kept = new Map<string, NextHopStatus>();
  #timer: NodeJS.Timeout | undefined;
  /** The pass under way, so that stop() and tests can wait for it. */
  #pass: Promise<void> = Promise.resolve();

  constructor(network: HostNetwork, options: { log: Log; refreshMs?: number }) {
    this.#network = network;
    this.#log = options.log;
    this.#refreshMs = options.refreshMs ?? DEFAULT_NEIGHBOUR_REFRESH_MS;
  }

  /** The backend addresses of dsr, ipip and gue services in the maps: new ones are resolved, gone ones forgotten. */
  sync(backends: Iterable<string>): Promise<void> {
    const wanted = new Set(backends);
    const added: string[] = [];
    const gone: NextHopStatus[] = [];
    for (const backend of wanted) if (!this.#kept.has(backend)) added.push(backend);
    for (const [backend, kept] of this.#kept) {
      if (wanted.has(backend)) continue;
      this.#kept.delete(backend);
      gone.push(kept);
    }
    for (const backend of added) this.#kept.set(backend, { backend, nextHop: null, dev: null, lladdr: null, state: 'NONE', error: null });
    if (added.length === 0 && gone.length === 0) return this.#pass;
    this.#pass = this.#pass.then(() => this.#apply(added, gone));
    return this.#pass;
  }

  /** Starts the periodic check. */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      this.#pass = this.#pass.then(() => this.refresh());
    }, this.#refreshMs);
    this.#timer.unref();
  }

  stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    return this.#pass;
  }

  status(): NextHopStatus[] {
    return [...this.#kept.values()].map((kept) => ({ ...kept }));
  }

  /**
   * Looks each route up again, reads the entries back, asks again for the ones
   * the kernel lost or could not resolve. Two questions to the kernel for all
   * next hops (one `ip -batch` of route lookups, one read of the neighbour
   * table), not two per backend: with thousands of backends a spawn each
   * took longer than the period.
   */
  async refresh(): Promise<void> {
    const kept = [...this.#kept.values()];
    if (kept.length === 0) return;
    const routes = this.#network.routesTo(kept.map((k) => k.backend));
    const routed = kept.filter((k) => this.#route(k, routes.get(k.backend)!));
    if (routed.length === 0) return;
    const table = await this.#readTable();
    const unresolved: NextHopStatus[] = [];
    for (const k of routed) {
      if (this.#kept.get(k.backend) !== k) continue;
      const entry = table?.get(neighbourKey(k.nextHop!, k.dev!));
      if (table) this.#record(k, entry);
      if (!entry || !isResolved(entry)) unresolved.push(k);
    }
    await this.#ask(unresolved);
  }

  async #apply(added: string[], gone: NextHopStatus[]): Promise<void> {
    const stillUsed = new Set([...this.#kept.values()].map((kept) => kept.nextHop));
    /* Only an on-link backend's own entry, and only when no other backend goes through it. */
    const forgotten = gone.filter((kept) => kept.dev !== null && kept.nextHop === kept.backend && !stillUsed.has(kept.nextHop));
    const errors = await this.#network.forget(forgotten.map((kept) => ({ address: kept.nextHop!, dev: kept.dev! })));
    errors.forEach((error, index) => {
      /* Already gone (flushed, interface down): nothing to undo. */
      if (error && !/No such file|Cannot find/.test(error.message))
        this.#log('warn', `forgetting the neighbour entry of ${forgotten[index]!.nextHop}: ${error.message}`);
    });
    const routes = this.#network.routesTo(added);
    const routed = added.flatMap((backend) => {
      const kept = this.#kept.get(backend);
      return kept && this.#route(kept, routes.get(backend)!) ? [kept] : [];
    });
    await this.#ask(routed);
  }

  /** The route to the backend now: its next hop and interface. False (logged once) when there is none. */
  #route(kept: NextHopStatus, route: RouteToAddress | Error): boolean {
    if (route instanceof Error) {
      const message = route.message;
      if (kept.error !== message) this.#log('error', `backend ${kept.backend}: cannot keep its next hop's MAC resolved: ${message}`);
      kept.error = message;
      return false;
    }
    kept.nextHop = route.gateway ?? kept.backend;
    kept.dev = route.dev;
    return true;
  }

  /** Asks for each next hop's entry, once per next hop however many backends go through it; each backend records the answer. */
  async #ask(kept: readonly NextHopStatus[]): Promise<void> {
    const targets = new Map<string, NeighbourTarget>();
    for (const k of kept) targets.set(neighbourKey(k.nextHop!, k.dev!), { address: k.nextHop!, dev: k.dev! });
    const errors = await this.#network.keepResolved([...targets.values()]);
    const errorOf = new Map([...targets.keys()].map((key, index) => [key, errors[index]]));
    for (const k of kept) {
      const error = errorOf.get(neighbourKey(k.nextHop!, k.dev!));
      if (!error) {
        k.error = null;
        continue;
      }
      const message = /No buffer space/.test(error.message) ? `${error.message} (${TABLE_FULL})` : error.message;
      if (k.error !== message) this.#log('error', `backend ${k.backend}: cannot keep the MAC of ${k.nextHop} resolved: ${message}`);
      k.error = message;
    }
  }

  /** The neighbour table by next hop and interface; undefined (logged) when it cannot be read. */
  async #readTable(): Promise<Map<string, NeighbourEntry> | undefined> {
    try {
      const entries = await this.#network.neighbours();
      return new Map(entries.map((entry) => [neighbourKey(entry.address, entry.dev), entry]));
    } catch (error) {
      this.#log('warn', `reading the neighbour table: ${(error as Error).message}`);
      return undefined;
    }
  }

  #record(kept: NextHopStatus, entry: NeighbourEntry | undefined): void {
    const state = entry?.state.join(',') || 'NONE';
    const lladdr = entry && isResolved(entry) ? (entry.lladdr ?? null) : null;
    const via = kept.nextHop === kept.backend ? '' : ` (next hop ${kept.nextHop})`;
    if (lladdr === null && kept.lladdr !== null)
      this.#log('warn', `backend ${kept.backend}${via} lost its MAC (neighbour state ${state}): its packets are dropped until it answers ARP/ND`);
    if (lladdr !== null && kept.lladdr === null && kept.state !== 'NONE') this.#log('info', `backend ${kept.backend}${via} resolved to ${lladdr}`);
    kept.state = state;
    kept.lladdr = lladdr;
  }
}

/* One spelling per address on both sides: the kernel prints its own, the configuration may hold another. */
function neighbourKey(address: string, dev: string): string {
  return `${canonicalAddress(address)}%${dev}`;
}

function isResolved(entry: NeighbourEntry): boolean {
  return entry.lladdr !== undefined && entry.state.some((state) => RESOLVED.has(state));
}
