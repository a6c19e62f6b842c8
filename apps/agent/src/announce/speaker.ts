/*
 * The node's BGP speaker: BIRD driven by the agent. start() writes bird.conf
 * (nothing announced) and runs BIRD; apply() rewrites the file atomically
 * (write, then rename) with new VIPs and runs `birdc configure`, which
 * changes only the static routes and keeps every session up; a refused
 * configure puts the previous file back and throws with BIRD's words.
 * Applies run one at a time, the latest wins. read() asks BIRD what it does:
 * each peer's BGP and BFD state and the routes it exports to that peer, so
 * node.status reports what the router was sent, not what the agent meant.
 * Readings run one at a time too, and a reading is stamped with the moment it
 * started: it shows everything BIRD did before then. A reading is 2 + one per
 * peer birdc runs, 0.6-1.1 s each on a starved machine (load 20 on 2 cores),
 * longer than a poll interval: overlapping readings finished in any order,
 * and one begun before a change could replace a newer one, so node.status
 * went back in time (a VIP missing right after it was announced).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { log } from '../log.js';
import type { BgpSettings } from './bgp-settings.js';
import { type VipRoutes, birdConfig, peerProtocolName } from './bird-config.js';
import {
  type BfdSession,
  type BirdProtocol,
  configureAccepted,
  configureProblem,
  parseBfdSessions,
  parseExportedRoutes,
  parseProtocols,
} from './bird-output.js';
import { type BirdFiles, BirdProcess, birdFilesIn } from './bird-process.js';
import { Birdc } from './birdc.js';
import { sameRoutes } from './announce-conditions.js';

export interface PeerStatus {
  address: string;
  as: number;
  /** BGP state as BIRD reports it (Down, Idle, Connect, Active, OpenSent, OpenConfirm, Established, Close), or "unknown". */
  state: string;
  established: boolean;
  /** When the BGP protocol entered its current state (ms). */
  since: number | null;
  /** null: BFD off in the settings; otherwise its session state (no session yet reads as Down). */
  bfd: { state: string; up: boolean; since: number | null } | null;
  /** Prefixes BIRD exports to this peer now. */
  routes: string[];
  lastError: string | null;
}

export interface SpeakerStatus {
  running: boolean;
  pid: number | null;
  startedAt: number | null;
  restarts: number;
  peers: PeerStatus[];
  /** When the last reading of BIRD started (it shows everything BIRD did before then); null before the first. */
  readAt: number | null;
  /** The last read or apply that failed, with why; null when the last ones worked. */
  error: string | null;
}

const EMPTY: VipRoutes = { ipv4: [], ipv6: [] };

export class Speaker {
  readonly files: BirdFiles;
  readonly #birdc: Birdc;
  readonly #process: BirdProcess;
  #applied: VipRoutes = EMPTY;
  #wanted: VipRoutes = EMPTY;
  #applying: Promise<void> = Promise.resolve();
  #status: SpeakerStatus = { running: false, pid: null, startedAt: null, restarts: 0, peers: [], readAt: null, error: null };
  #applyError: string | null = null;
  /** The reading under way, if any: readings never overlap, so an older one never replaces a newer one. */
  #reading: Promise<SpeakerStatus> | undefined;

  constructor(
    readonly settings: BgpSettings,
    readonly runDir: string,
  ) {
    this.files = birdFilesIn(runDir);
    this.#birdc = new Birdc(this.files.socket, settings.birdcPath);
    this.#process = new BirdProcess(this.files, this.#birdc, settings.birdPath);
  }

  /** Writes the config with nothing announced and starts BIRD; throws (BIRD's own words) if it refuses the config or does not start. */
  async start(): Promise<void> {
    mkdirSync(this.runDir, { recursive: true, mode: 0o750 });
    this.#writeConfig(EMPTY);
    await this.#process.start();
  }

  /** The routes last configured into BIRD (the intention; read() has what BIRD exports). */
  get applied(): VipRoutes {
    return this.#applied;
  }

  get status(): SpeakerStatus {
    return this.#status;
  }

  /** Announces exactly these VIPs; resolves once BIRD has taken them (or rejects with why). Calls queue; the latest wins. */
  apply(routes: VipRoutes): Promise<void> {
    this.#wanted = routes;
    const next = this.#applying.then(() => this.#applyWanted());
    this.#applying = next.catch(() => {});
    return next;
  }

  async #applyWanted(): Promise<void> {
    const routes = this.#wanted;
    if (sameRoutes(routes, this.#applied)) return;
    const previous = readFileSync(this.files.config, 'utf8');
    this.#writeConfig(routes);
    const reply = await this.#birdc.run('configure');
    if (reply.code !== 0 || !configureAccepted(reply.output)) {
      this.#writeText(previous);
      this.#applyError = `BIRD refused the new configuration (${configureProblem(reply.output) || `birdc exit ${reply.code}`}); it keeps announcing ${describe(this.#applied)}`;
      throw new Error(this.#applyError);
    }
    this.#applyError = null;
    log('info', `BGP: announcing ${describe(routes)} (was ${describe(this.#applied)})`);
    this.#applied = routes;
  }

  #writeConfig(routes: VipRoutes): void {
    this.#writeText(birdConfig(this.settings, routes));
  }

  /* Atomic: a BIRD that restarts meanwhile reads the old file or the new one, never half of one. */
  #writeText(text: string): void {
    const temporary = `${this.files.config}.tmp`;
    writeFileSync(temporary, text, { mode: 0o640 });
    renameSync(temporary, this.files.config);
  }

  /** The poll's reading: a new one, or the one under way (polls never pile up behind a slow BIRD). */
  poll(): Promise<SpeakerStatus> {
    return this.#reading ?? this.read();
  }

  /**
   * Reads peers, BFD sessions and exported routes from BIRD; the result is
   * also kept as `status`. The reading starts after any under way has ended,
   * so it sees every change made before this call (drain, resume).
   */
  read(): Promise<SpeakerStatus> {
    const previous = this.#reading;
    const reading = (async () => {
      if (previous) await previous;
      return this.#readNow();
    })();
    this.#reading = reading;
    void reading.finally(() => {
      if (this.#reading === reading) this.#reading = undefined;
    });
    return reading;
  }

  /* Never throws: a failed reading is a status with its error. */
  async #readNow(): Promise<SpeakerStatus> {
    const readAt = Date.now();
    const base = { running: this.#process.running, pid: this.#process.pid ?? null, startedAt: this.#process.startedAt, restarts: this.#process.restarts };
    if (!this.#process.running) {
      this.#status = { ...base, peers: this.#peersUnknown(), readAt, error: this.#applyError ?? 'BIRD is not running' };
      return this.#status;
    }
    try {
      const protocols = parseProtocols(await this.#birdc.checked('show', 'protocols', 'all'));
      const bfd = this.settings.bfd ? parseBfdSessions(await this.#birdc.checked('show', 'bfd', 'sessions')) : [];
      const peers: PeerStatus[] = [];
      for (const peer of this.settings.peers) {
        const protocol = protocols.find((p) => p.name === peerProtocolName(peer));
        peers.push(await this.#peerStatus(peer, protocol, bfd));
      }
      this.#status = { ...base, peers, readAt, error: this.#applyError };
    } catch (error) {
      this.#status = { ...base, peers: this.#peersUnknown(), readAt, error: (error as Error).message };
    }
    return this.#status;
  }

  async #peerStatus(peer: BgpSettings['peers'][number], protocol: BirdProtocol | undefined, bfd: BfdSession[]): Promise<PeerStatus> {
    const established = protocol?.bgpState === 'Established';
    /* A session that is not up exports nothing; BIRD answers "No valid tables" for it. */
    const routes = established ? parseExportedRoutes(await this.#birdc.checked('show', 'route', 'export', peerProtocolName(peer))) : [];
    const session = bfd.find((s) => s.address === peer.address);
    return {
      address: peer.address,
      as: peer.as,
      state: protocol?.bgpState ?? 'unknown',
      established,
      since: protocol?.since ?? null,
      bfd: this.settings.bfd ? { state: session?.state ?? 'Down', up: session?.state === 'Up', since: session?.since ?? null } : null,
      routes,
      lastError: protocol?.lastError ?? null,
    };
  }

  #peersUnknown(): PeerStatus[] {
    return this.settings.peers.map((peer) => ({
      address: peer.address,
      as: peer.as,
      state: 'unknown',
      established: false,
      since: null,
      bfd: this.settings.bfd ? { state: 'Down', up: false, since: null } : null,
      routes: [],
      lastError: null,
    }));
  }

  /** Stops BIRD: its sessions close and the routers withdraw this node at once. */
  async stop(): Promise<void> {
    await this.#process.stop();
  }
}

function describe(routes: VipRoutes): string {
  const all = [...routes.ipv4, ...routes.ipv6];
  return all.length ? all.join(', ') : 'nothing';
}
