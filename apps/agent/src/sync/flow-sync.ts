/*
 * Flow-state sync of an active/standby pair (issue 13): this node's flow
 * changes to its peer (sender.ts) and the peer's into this node's tables
 * (receiver.ts), over an authenticated channel (wire.ts), and the verdict
 * that gates a takeover (state, checkReason).
 *
 * Takeover timing. The sender heartbeats every HEARTBEAT_MS (200 ms), and the
 * receiver answers on the same connection with ALIVE frames as often, so
 * each node hears its peer in both directions; the peer counts as dead after
 * PEER_DEAD_MS (1 s) without a valid frame either way: five
 * heartbeats, so a loaded node's stall is not taken for a death, and well
 * under keepalived's own verdict on a silent master (3 adverts + skew at
 * advert_int 0.5 s: 1.8 s for priority 100). So when the master dies, its
 * backup's check never fails: its state goes from in-sync straight to
 * peer-dead (the master's silence is the same event for both), and the
 * backup takes over on keepalived's clock alone. A master whose agent dies
 * first (its kernel still up) closes the stream before it falls silent: the
 * backup's table was in sync until that moment, so for PEER_DEAD_MS after an
 * in-sync stream closes its check does not fail on that account (the silence
 * decides within that time: peer-dead, or the peer alive and the stream not
 * back). `fall 2` alone cannot absorb that second: keepalived starts its
 * check on a fixed 1 s beat and skips a beat while the last run is still
 * going, so on a loaded node two runs can ask the agent 0.2 s apart; a
 * backup put in FAULT just as its master dies needs two passing checks
 * before it may even stand for election.
 * A backup whose peer is alive but whose table is not in sync (just started,
 * resync streaming, stream broken for longer) fails the check; an old master
 * that returns hears its peer on its own connection at once (ALIVE) and so
 * stays out of master until the peer's resync into it is done.
 */
import type { SyncState, SyncStatus } from '@sluice/api';
import type { ConntrackMaps } from '../conntrack/conntrack-maps.js';
import { BackendNames, type Placement } from './backend-names.js';
import { SyncReceiver } from './receiver.js';
import { type FlowEventSource, PEER_DEAD_MS, SyncSender } from './sender.js';
import { type PeerClaim, SplitBrainGuard, type VipClaim } from './split-brain.js';
import { type EndRecord, KEY_BYTES } from './wire.js';

export interface FlowSyncOptions {
  listen: { address: string; port: number };
  peer: { address: string; port: number };
  key: Buffer;
  maps: ConntrackMaps;
  placement: () => Placement;
  events: FlowEventSource;
  isMaster: () => boolean;
  /** Whether this node holds the VIPs now, and for how long (vip-claim.ts). */
  vipClaim: () => VipClaim;
  /** Told after every judgement whether this node yields after a split brain (keepalived's track_file: yield-file.ts). */
  onYielding?: (yielding: boolean) => void;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
  refreshIntervalMs?: number;
}

const hostPort = ({ address, port }: { address: string; port: number }) => (address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`);

export class FlowSync {
  readonly #o: FlowSyncOptions;
  readonly #startedAt = Date.now();
  readonly #names: BackendNames;
  readonly receiver: SyncReceiver;
  readonly sender: SyncSender;
  readonly #splitBrain: SplitBrainGuard;
  #peerClaim: PeerClaim | null = null;

  private constructor(options: FlowSyncOptions) {
    this.#o = options;
    this.#names = new BackendNames(options.placement);
    this.#splitBrain = new SplitBrainGuard(hostPort(options.listen) > hostPort(options.peer) ? 'higher' : 'lower');
    const common = { key: options.key, maps: options.maps, names: this.#names, log: options.log };
    this.receiver = new SyncReceiver({
      ...common,
      listen: options.listen,
      isMaster: options.isMaster,
      claim: options.vipClaim,
      onPeerConnected: () => this.sender.reconnectNow(),
    });
    this.sender = new SyncSender({
      ...common,
      peer: options.peer,
      events: options.events,
      onAlive: (claim, at) => {
        this.#peerClaim = claim && { ...claim, receivedAt: at };
        this.#judgeSplit(at);
      },
      ...(options.refreshIntervalMs ? { refreshIntervalMs: options.refreshIntervalMs } : {}),
    });
  }

  /*
   * On every ALIVE and every check. Only a claim heard within PEER_DEAD_MS
   * counts: not a dead peer's last one, nor one that outlived the connection
   * it came on (a peer back from a power cut streams to us before our
   * connection to it is found dead, so the peer seems alive while its last
   * claim is from before the cut: the master would yield to a node that
   * holds nothing).
   */
  #judgeSplit(now: number): void {
    const peer = this.#freshPeerClaim(now);
    const event = this.#splitBrain.judge(this.#o.vipClaim(), peer, now);
    if (event === 'split') this.#o.log('warn', `split brain with ${hostPort(this.#o.peer)}: ${this.#splitBrain.status(now).lastVerdict}`);
    if (event === 'yield-ended') this.#o.log('info', 'split brain: the yield ends; this node may stand by again');
    this.#o.onYielding?.(this.#splitBrain.yielding);
  }

  #freshPeerClaim(now: number): PeerClaim | null {
    const claim = this.#peerClaim;
    return claim && now - claim.receivedAt <= PEER_DEAD_MS ? claim : null;
  }

  /** Listens first (a bad address fails the start), then connects to the peer (retried until it answers). */
  static async start(options: FlowSyncOptions): Promise<FlowSync> {
    const sync = new FlowSync(options);
    await sync.receiver.start();
    sync.sender.start();
    return sync;
  }

  stop(): void {
    this.sender.stop();
    this.receiver.stop();
  }

  /** The flows a conntrack sweep here deleted (SweepReport.ended): the peer ends them too, if they still name that backend there. */
  sweptFlows(ended: { keys: Uint8Array; backendIds: number[]; serviceIds: number[] }): void {
    const records: EndRecord[] = [];
    const keys = Buffer.from(ended.keys.buffer, ended.keys.byteOffset, ended.keys.byteLength);
    for (let i = 0; i < ended.backendIds.length; i++) {
      const name = this.#names.nameOf(ended.backendIds[i]!, ended.serviceIds[i]!);
      if (name) records.push({ key: Buffer.from(keys.subarray(i * KEY_BYTES, (i + 1) * KEY_BYTES)), name });
    }
    if (records.length) this.sender.queueEnds(records);
  }

  /** The peer was last heard from either direction: its stream to us, or its ALIVE answers on ours. */
  #peerHeardAt(): number {
    return Math.max(this.receiver.status.lastMessageAt ?? this.#startedAt, this.sender.status.lastAliveAt ?? this.#startedAt);
  }

  state(now = Date.now()): SyncState {
    if (now - this.#peerHeardAt() > PEER_DEAD_MS) return 'peer-dead';
    if (this.receiver.status.connected && this.receiver.status.resynced) return 'in-sync';
    return 'syncing';
  }

  /**
   * Why `sluice node check` must fail on this node, or null: a node that
   * yields after a split brain, and a node that is not master while its
   * table is not in sync (past PEER_DEAD_MS after an in-sync stream closed).
   */
  checkReason(master: boolean): string | null {
    const now = Date.now();
    this.#judgeSplit(now);
    const split = this.#splitBrain.checkReason(now);
    if (split) return split;
    if (master) return null;
    if (this.state(now) !== 'syncing') return null;
    const r = this.receiver.status;
    if (r.inSyncLostAt !== null && now - r.inSyncLostAt <= PEER_DEAD_MS) return null;
    const why = r.connected ? 'its flow table is still streaming in' : 'no stream from it is open';
    return `flow sync with the peer ${hostPort(this.#o.peer)} is not complete (${why}) and the peer is alive: not taking over yet`;
  }

  status(): SyncStatus {
    const now = Date.now();
    const r = this.receiver.status;
    return {
      state: this.state(now),
      listen: hostPort(this.#o.listen),
      peer: hostPort(this.#o.peer),
      peerDeadAfterMs: PEER_DEAD_MS,
      lastMessageAgeMs: r.lastMessageAt === null && this.sender.status.lastAliveAt === null ? null : now - this.#peerHeardAt(),
      peerRole: this.#freshPeerClaim(now)?.role ?? null,
      inbound: {
        connected: r.connected,
        peerAddress: r.peerAddress,
        resynced: r.resynced,
        lastResyncAt: r.lastResyncAt,
        resyncs: r.resyncs,
        appliedFlows: r.appliedFlows,
        appliedEnds: r.appliedEnds,
        unknownBackends: r.unknownBackends,
        writeErrors: r.writeErrors,
      },
      outbound: { ...this.sender.status },
      lag: this.receiver.lag.summary(),
      refused: { total: this.receiver.refusals.total, byReason: { ...this.receiver.refusals.byReason }, last: this.receiver.refusals.last },
      splitBrain: this.#splitBrain.status(now),
    };
  }
}
