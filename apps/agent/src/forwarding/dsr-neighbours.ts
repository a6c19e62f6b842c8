/*
 * Keeps the MACs of dsr backends resolved. The data plane takes a dsr
 * backend's MAC from the kernel's neighbour table (bpf_fib_lookup) and drops
 * the packet when it is unresolved (CNT_DROP_DSR_NO_NEIGHBOUR): nothing else
 * on the balancer talks to a backend it only forwards to, so without this
 * the entry would never be made, or would go stale and fail.
 *
 * For each dsr backend address the agent asks the kernel for a "managed"
 * entry (the kernel resolves it and keeps refreshing it itself, Linux 5.16+)
 * with NTF_USE (probe now). Every refreshMs it reads the entries back: one
 * that is missing or failed is asked for again and logged once per change
 * of state, so an operator sees a backend that stopped answering ARP/ND.
 * A backend that leaves dsr has its entry removed.
 */
import type { HostNetwork, NeighbourEntry } from './host-network.js';

/* The kernel refreshes managed entries itself; this pass only repairs and reports, so every 10 s is plenty. */
export const DEFAULT_NEIGHBOUR_REFRESH_MS = 10_000;

/** Entry states in which the data plane has a MAC to use. */
const RESOLVED = new Set(['REACHABLE', 'STALE', 'DELAY', 'PROBE', 'PERMANENT']);

export interface DsrNeighbourStatus {
  address: string;
  dev: string | null;
  /** The MAC the data plane will use, null while unresolved. */
  lladdr: string | null;
  state: string;
  /** Why the agent could not ask (no route): null when it could. */
  error: string | null;
}

type Log = (level: 'info' | 'warn' | 'error', message: string) => void;

interface Kept {
  dev: string | null;
  status: DsrNeighbourStatus;
}

export class DsrNeighbours {
  readonly #network: HostNetwork;
  readonly #log: Log;
  readonly #refreshMs: number;
  readonly #kept = new Map<string, Kept>();
  #timer: NodeJS.Timeout | undefined;
  /** The pass under way, so that stop() and tests can wait for it. */
  #pass: Promise<void> = Promise.resolve();

  constructor(network: HostNetwork, options: { log: Log; refreshMs?: number }) {
    this.#network = network;
    this.#log = options.log;
    this.#refreshMs = options.refreshMs ?? DEFAULT_NEIGHBOUR_REFRESH_MS;
  }

  /** The dsr backend addresses the maps now hold: new ones are resolved, gone ones forgotten. Returns when done. */
  sync(addresses: Iterable<string>): Promise<void> {
    const wanted = new Set(addresses);
    const added: string[] = [];
    const gone: Kept[] = [];
    for (const address of wanted) if (!this.#kept.has(address)) added.push(address);
    for (const [address, kept] of this.#kept) {
      if (wanted.has(address)) continue;
      this.#kept.delete(address);
      gone.push(kept);
    }
    for (const address of added) this.#kept.set(address, { dev: null, status: { address, dev: null, lladdr: null, state: 'NONE', error: null } });
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

  status(): DsrNeighbourStatus[] {
    return [...this.#kept.values()].map((kept) => ({ ...kept.status }));
  }

  /** Reads every entry back; asks again for the ones the kernel lost or could not resolve. */
  async refresh(): Promise<void> {
    for (const [address, kept] of [...this.#kept]) {
      if (kept.dev === null) {
        await this.#ask(address, kept);
        continue;
      }
      const entry = await this.#read(address, kept.dev);
      if (!this.#kept.has(address)) continue;
      this.#record(kept, entry);
      if (!entry || !isResolved(entry)) await this.#ask(address, kept);
    }
  }

  async #apply(added: string[], gone: Kept[]): Promise<void> {
    for (const kept of gone) {
      if (kept.dev === null) continue;
      await this.#network.forget(kept.status.address, kept.dev).catch((error: Error) => {
        /* Already gone (flushed, interface down): nothing to undo. */
        if (!/No such file|Cannot find/.test(error.message)) this.#log('warn', `forgetting the neighbour entry of ${kept.status.address}: ${error.message}`);
      });
    }
    for (const address of added) {
      const kept = this.#kept.get(address);
      if (kept) await this.#ask(address, kept);
    }
  }

  async #ask(address: string, kept: Kept): Promise<void> {
    try {
      const dev = this.#network.routeTo(address).dev;
      kept.dev = dev;
      await this.#network.keepResolved(address, dev);
      kept.status.dev = dev;
      kept.status.error = null;
    } catch (error) {
      const message = (error as Error).message;
      if (kept.status.error !== message) this.#log('error', `dsr backend ${address}: cannot keep its MAC resolved: ${message}`);
      kept.status.error = message;
    }
  }

  async #read(address: string, dev: string): Promise<NeighbourEntry | undefined> {
    try {
      return await this.#network.neighbour(address, dev);
    } catch (error) {
      this.#log('warn', `reading the neighbour entry of ${address}: ${(error as Error).message}`);
      return undefined;
    }
  }

  #record(kept: Kept, entry: NeighbourEntry | undefined): void {
    const state = entry?.state.join(',') || 'NONE';
    const lladdr = entry && isResolved(entry) ? (entry.lladdr ?? null) : null;
    const wasResolved = kept.status.lladdr !== null;
    if (lladdr === null && wasResolved)
      this.#log('warn', `dsr backend ${kept.status.address} lost its MAC (neighbour state ${state}): its packets are dropped until it answers ARP/ND`);
    if (lladdr !== null && !wasResolved && kept.status.state !== 'NONE') this.#log('info', `dsr backend ${kept.status.address} resolved to ${lladdr}`);
    kept.status.state = state;
    kept.status.lladdr = lladdr;
  }
}

function isResolved(entry: NeighbourEntry): boolean {
  return entry.lladdr !== undefined && entry.state.some((state) => RESOLVED.has(state));
}
