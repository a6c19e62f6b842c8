/*
 * The sending half of flow sync: this node's flow changes to its peer.
 * Every agent of the pair runs one (the backup's program sees no traffic, so
 * its stream is heartbeats only), which makes a takeover need no role switch
 * here: whoever forwards, streams.
 *
 * On each connection: the peer's HELLO, then RESYNC_BEGIN, the whole table
 * (both flow tables as they are), RESYNC_END, then the deltas: the program's
 * flow events (flow_events ring, drained as soon as the program wakes the
 * reader: a batch is what one drain found, at most MAX_BATCH_RECORDS a
 * frame), and the GC's ends. Events
 * that arrive while the table streams are sent after it: they are newer, and
 * a replace is idempotent. Without a connection events are dropped: the
 * resync on the next one carries the table as it is then. Every
 * REFRESH_INTERVAL_MS the table is streamed again (as IPVS's sync refreshes
 * long-lived connections), so a flow that lives longer than the peer's idle
 * timeout without a change stays on the peer.
 */
import { randomBytes } from 'node:crypto';
import { type Socket, connect } from 'node:net';
import type { DecodedFlowEvent } from '@sluice/dataplane';
import type { ConntrackMaps } from '../conntrack/conntrack-maps.js';
import { KEY_SIZE, VALUE, u32 } from '../conntrack/flow-bytes.js';
import { scanFlows } from '../conntrack/scan.js';
import type { BackendNames } from './backend-names.js';
import type { VipClaim } from './split-brain.js';
import {
  type EndRecord,
  type FlowRecord,
  CHALLENGE_BYTES,
  type Frame,
  FrameSplitter,
  FrameType,
  MAX_BATCH_RECORDS,
  RecordKind,
  decodeClaim,
  encodeEnds,
  encodeFlows,
  encodeFrame,
  readHello,
  verifyFrame,
} from './wire.js';

export const HEARTBEAT_MS = 200;
/* The loop wakes at least this often without events: for the heartbeat (so at most HEARTBEAT_MS + TICK_MS apart) and the silence check. */
const TICK_MS = 20;
/*
 * After a drain that found events the loop rests this long before it waits
 * again: under a stream of new flows a frame then carries about a
 * millisecond's events rather than one each, and the first event after a
 * quiet spell still goes out at once.
 */
const DRAIN_REST_MS = 1;
/* The peer is dead after this long without a valid frame either way: five heartbeats, so a loaded node may miss a few. */
export const PEER_DEAD_MS = 5 * HEARTBEAT_MS;
const RECONNECT_MS = 500;
/*
 * A connection that brings no HELLO, or no ALIVE answer to the heartbeats,
 * for this long is taken for dead and replaced: a peer that lost power sends
 * no FIN, and TCP would retry for many minutes while events go nowhere. Well
 * over PEER_DEAD_MS, so a stall of a few seconds on a loaded peer, or a long
 * table scan here, costs no resync.
 */
export const SILENT_CONNECTION_MS = 5_000;
/* A third of the established-TCP idle timeout (900 s): two refreshes may be lost before the peer drops a flow. */
export const REFRESH_INTERVAL_MS = 300_000;
/* Events held while a table streams; beyond, the oldest are dropped (the next refresh repairs them). */
const MAX_QUEUED = 65_536;

export interface SenderOptions {
  peer: { address: string; port: number };
  key: Buffer;
  maps: ConntrackMaps;
  names: BackendNames;
  events: FlowEventSource;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
  refreshIntervalMs?: number;
  /** SILENT_CONNECTION_MS unless given. */
  silentConnectionMs?: number;
  /** Each valid ALIVE's VIP claim (null from a peer that claims nothing). */
  onAlive?: (claim: VipClaim | null, at: number) => void;
}

/** The program's flow events (FlowEventReader). */
export interface FlowEventSource {
  /** Every event waiting, oldest first. */
  drain(): DecodedFlowEvent[];
  /** Resolves once events wait to be drained (true), or after `timeoutMs`, or when the source closes (false). */
  wait(timeoutMs: number): Promise<boolean>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface SenderStatus {
  connected: boolean;
  /** The table is streaming (a resync after connecting, or a refresh). */
  streamingTable: boolean;
  connectedSince: number | null;
  resyncs: number;
  lastResyncMs: number | null;
  lastResyncFlows: number | null;
  sentFlows: number;
  sentEnds: number;
  /** The last valid ALIVE from the peer's receiver (ms since the epoch): it is up, whether or not it streams to us. */
  lastAliveAt: number | null;
  /** Events not sent: no connection (the next resync carries them), a full queue, or a backend unknown by name. */
  droppedEvents: number;
  lastError: string | null;
}

interface Queued {
  record: FlowRecord;
  atMs: number;
}

export class SyncSender {
  readonly #o: SenderOptions;
  #socket: Socket | undefined;
  #challenge: Buffer | undefined;
  #seq = 0n;
  #queue: Queued[] = [];
  #ends: EndRecord[] = [];
  #reconnectTimer: NodeJS.Timeout | undefined;
  #refreshTimer: NodeJS.Timeout | undefined;
  #lastSentAt = 0;
  /** When the current connection was opened (its HELLO is awaited until SILENT_CONNECTION_MS after). */
  #connectingSince = 0;
  #stopped = false;
  readonly status: SenderStatus = {
    connected: false,
    streamingTable: false,
    connectedSince: null,
    resyncs: 0,
    lastResyncMs: null,
    lastResyncFlows: null,
    sentFlows: 0,
    sentEnds: 0,
    lastAliveAt: null,
    droppedEvents: 0,
    lastError: null,
  };

  constructor(options: SenderOptions) {
    this.#o = options;
  }

  start(): void {
    void this.#watch();
    this.#refreshTimer = setInterval(() => void this.#refresh(), this.#o.refreshIntervalMs ?? REFRESH_INTERVAL_MS);
    this.#refreshTimer.unref();
    this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#refreshTimer);
    clearTimeout(this.#reconnectTimer);
    this.#socket?.destroy();
  }

  /** The peer's stream to us just opened (it is back): if ours is down, or silent past PEER_DEAD_MS (it died with the peer's last run), try now rather than later. */
  reconnectNow(): void {
    if (this.#stopped || (this.#ready() && this.#silentFor(Date.now()) <= PEER_DEAD_MS)) return;
    const stale = this.#socket;
    if (stale) {
      /* Its challenge, sequence and queue go with it: nothing meant for it reaches the new one. */
      this.#closed(stale);
      stale.destroy();
    }
    clearTimeout(this.#reconnectTimer);
    this.#connect();
  }

  /** Flows the conntrack sweep ended here: the peer ends them too (if they still name that backend there). */
  queueEnds(ends: EndRecord[]): void {
    if (!this.#ready()) return;
    this.#ends.push(...ends);
  }

  #ready(): boolean {
    return this.status.connected && this.#challenge !== undefined;
  }

  /** How long the current connection has brought nothing: no HELLO since it opened, or no ALIVE since its last (or its HELLO). */
  #silentFor(now: number): number {
    const heardAt = this.#ready() ? Math.max(this.status.lastAliveAt ?? 0, this.status.connectedSince ?? 0) : this.#connectingSince;
    return now - heardAt;
  }

  #connect(): void {
    if (this.#stopped) return;
    const socket = connect({ host: this.#o.peer.address, port: this.#o.peer.port });
    this.#socket = socket;
    this.#connectingSince = Date.now();
    socket.setNoDelay(true);
    const splitter = new FrameSplitter();
    const ownChallenge = randomBytes(CHALLENGE_BYTES);
    let aliveSeq = 1n;
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const message of splitter.push(chunk)) {
          if (this.#challenge) {
            const frame = verifyFrame(this.#o.key, ownChallenge, message, aliveSeq++);
            if (frame.type !== FrameType.ALIVE) throw new Error(`the receiver sent a frame of type ${frame.type}`);
            const claim = decodeClaim(frame.body);
            this.status.lastAliveAt = Date.now();
            this.#o.onAlive?.(claim, this.status.lastAliveAt);
            continue;
          }
          this.#challenge = readHello(message);
          this.status.connected = true;
          this.status.connectedSince = Date.now();
          this.#o.log('info', `flow sync: connected to ${this.#where()}; streaming the flow table`);
          void this.#send(FrameType.OPEN, ownChallenge);
          void this.#streamTable(RecordKind.RESYNC);
        }
      } catch (error) {
        this.#fail(socket, (error as Error).message);
      }
    });
    socket.on('error', (error) => this.#fail(socket, error.message));
    socket.on('close', () => this.#closed(socket));
  }

  #where(): string {
    return `${this.#o.peer.address}:${this.#o.peer.port}`;
  }

  #fail(socket: Socket, message: string): void {
    if (this.status.lastError !== message) this.#o.log('warn', `flow sync to ${this.#where()}: ${message}`);
    this.status.lastError = message;
    socket.destroy();
  }

  #closed(socket: Socket): void {
    if (socket !== this.#socket) return;
    this.#socket = undefined;
    this.#challenge = undefined;
    this.#seq = 0n;
    this.status.connected = false;
    this.status.streamingTable = false;
    this.status.connectedSince = null;
    this.status.droppedEvents += this.#queue.length;
    this.#queue = [];
    this.#ends = [];
    if (!this.#stopped) this.#reconnectTimer = setTimeout(() => this.#connect(), RECONNECT_MS);
  }

  /** Writes one frame; resolves once the socket can take more (backpressure while a table streams). */
  #send(type: FrameType, body: Buffer, sentAtMs = Date.now()): Promise<void> {
    const socket = this.#socket;
    if (!socket || !this.#challenge) return Promise.resolve();
    this.#seq += 1n;
    const frame: Frame = { type, seq: this.#seq, sentAtMs, body };
    this.#lastSentAt = Date.now();
    if (socket.write(encodeFrame(this.#o.key, this.#challenge, frame))) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('drain', resolve);
      socket.once('close', resolve);
    });
  }

  /** The whole table as records of `kind`: after a connect (framed by RESYNC_BEGIN/END), or as a refresh. */
  async #streamTable(kind: RecordKind): Promise<void> {
    const socket = this.#socket;
    if (!socket || this.status.streamingTable) return;
    this.status.streamingTable = true;
    const started = performance.now();
    try {
      this.#o.names.refresh();
      const batches: FlowRecord[][] = [[]];
      let flows = 0;
      scanFlows(this.#o.maps, (keys, keyAt, _words, _wordAt, values, valueAt) => {
        const name = this.#o.names.nameOf(u32(values, valueAt + VALUE.backendId), u32(values, valueAt + VALUE.serviceId));
        if (!name) return;
        let batch = batches[batches.length - 1]!;
        if (batch.length === MAX_BATCH_RECORDS) batches.push((batch = []));
        batch.push({
          key: Buffer.from(keys.subarray(keyAt, keyAt + KEY_SIZE)),
          name,
          kind,
          tcpState: u32(values, valueAt + VALUE.tcpState),
          flags: u32(values, valueAt + VALUE.flags),
        });
        flows++;
      });
      if (kind === RecordKind.RESYNC) await this.#send(FrameType.RESYNC_BEGIN, Buffer.alloc(0));
      for (const batch of batches) if (batch.length && socket === this.#socket) await this.#send(FrameType.FLOWS, encodeFlows(batch));
      if (socket !== this.#socket) return;
      if (kind === RecordKind.RESYNC) {
        await this.#send(FrameType.RESYNC_END, Buffer.alloc(0));
        this.status.resyncs++;
        this.status.lastResyncMs = Math.round(performance.now() - started);
        this.status.lastResyncFlows = flows;
        this.#o.log('info', `flow sync: ${flows} flows streamed to ${this.#where()} in ${this.status.lastResyncMs} ms; now the changes`);
      }
      this.status.sentFlows += flows;
    } catch (error) {
      this.#fail(socket, `streaming the flow table: ${(error as Error).message}`);
    } finally {
      if (socket === this.#socket) this.status.streamingTable = false;
    }
  }

  async #refresh(): Promise<void> {
    if (this.#ready() && !this.status.streamingTable) await this.#streamTable(RecordKind.REFRESH);
  }

  /* One loop: woken by the program's first event after a drain, or after TICK_MS for the heartbeat and the silence check. */
  async #watch(): Promise<void> {
    /* Logged once while it repeats, again after a wait that worked. */
    let waitError: string | undefined;
    while (!this.#stopped) {
      try {
        await this.#o.events.wait(TICK_MS);
        waitError = undefined;
      } catch (error) {
        /* Then the ring is drained every TICK_MS, as a timer would: events come up to a tick late. */
        const message = `waiting for flow events: ${(error as Error).message}`;
        if (waitError !== message) this.#o.log('error', `flow sync: ${message}`);
        waitError = this.status.lastError = message;
        await sleep(TICK_MS);
      }
      if (this.#stopped) return;
      const drained = this.#poll();
      /* A ring that cannot be read (its reader closed) answers at once: rest a tick rather than spin. */
      if (drained !== 0) await sleep(drained < 0 ? TICK_MS : DRAIN_REST_MS);
    }
  }

  /** Drains and sends the events, the GC's ends and a due heartbeat; returns how many events it drained, -1 when the ring could not be read. */
  #poll(): number {
    const now = Date.now();
    const silentMs = this.#o.silentConnectionMs ?? SILENT_CONNECTION_MS;
    if (this.#socket && this.#silentFor(now) > silentMs) this.#fail(this.#socket, `the peer answered nothing for ${silentMs} ms; connecting again`);
    let events: DecodedFlowEvent[];
    try {
      events = this.#o.events.drain();
    } catch (error) {
      this.status.lastError = `reading flow events: ${(error as Error).message}`;
      return -1;
    }
    if (!this.#ready()) {
      this.status.droppedEvents += events.length;
    } else {
      for (const event of events) {
        const name = this.#o.names.nameOf(event.backend_id, event.service_id);
        if (!name) {
          this.status.droppedEvents++;
          continue;
        }
        this.#queue.push({ record: { key: event.key, name, kind: event.kind as RecordKind, tcpState: event.tcp_state, flags: event.flags }, atMs: now });
      }
      if (this.#queue.length > MAX_QUEUED) this.status.droppedEvents += this.#queue.splice(0, this.#queue.length - MAX_QUEUED).length;
    }
    if (!this.#ready() || this.status.streamingTable) return events.length;
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, MAX_BATCH_RECORDS);
      void this.#send(FrameType.FLOWS, encodeFlows(batch.map((q) => q.record)), batch[0]!.atMs);
      this.status.sentFlows += batch.length;
    }
    while (this.#ends.length > 0) {
      const batch = this.#ends.splice(0, MAX_BATCH_RECORDS);
      void this.#send(FrameType.ENDS, encodeEnds(batch));
      this.status.sentEnds += batch.length;
    }
    if (now - this.#lastSentAt >= HEARTBEAT_MS) void this.#send(FrameType.HEARTBEAT, Buffer.alloc(0));
    return events.length;
  }
}
