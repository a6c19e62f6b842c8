/*
 * The receiving half of flow sync: the peer's stream written into this
 * node's flow tables. A connection counts only from its first frame with a
 * valid HMAC; a frame that fails (wrong key, replayed or out-of-order
 * sequence, malformed) is refused, counted by reason, logged with its
 * source, and its connection closed, having changed nothing. A connection
 * that sends nothing valid within HELLO_DEADLINE_MS is closed, and at most
 * MAX_CONNECTIONS are open at once, so nobody on the segment can hold the
 * listener.
 *
 * What a record does here: a delta (new, established, re-steered) replaces
 * this node's entry, being the newest choice; a table record (resync,
 * refresh) replaces it on a backup, while a master keeps its own (its table
 * is the newest: the records only echo it back).
 */
import { type Server, type Socket, createServer } from 'node:net';
import type { ConntrackMaps } from '../conntrack/conntrack-maps.js';
import { endPeerFlow, writePeerFlow } from '../conntrack/peer-flows.js';
import type { BackendNames } from './backend-names.js';
import { LagWindow } from './lag-window.js';
import type { VipClaim } from './split-brain.js';
import { HEARTBEAT_MS } from './sender.js';
import {
  CHALLENGE_BYTES,
  type Frame,
  FrameSplitter,
  FrameType,
  RecordKind,
  type RefusalReason,
  SyncRefusal,
  decodeEnds,
  decodeFlows,
  encodeClaim,
  encodeFrame,
  helloFrame,
  verifyFrame,
} from './wire.js';

const HELLO_DEADLINE_MS = 5_000;
const MAX_CONNECTIONS = 4;

export interface ReceiverOptions {
  listen: { address: string; port: number };
  key: Buffer;
  maps: ConntrackMaps;
  names: BackendNames;
  /** The peer's stream has just authenticated (it is back): the sender may reconnect at once. */
  onPeerConnected?: () => void;
  /** True while this node is VRRP master (table records then keep local entries). */
  isMaster: () => boolean;
  /** Whether this node holds the VIPs, and since when: said in every ALIVE frame (split-brain.ts). */
  claim: () => VipClaim;
  log: (level: 'info' | 'warn' | 'error', message: string) => void;
}

export interface Refusals {
  total: number;
  byReason: Record<RefusalReason, number>;
  last: { at: number; from: string; reason: RefusalReason; detail: string } | null;
}

export interface ReceiverStatus {
  /** A connection from the peer that has sent a valid frame is open. */
  connected: boolean;
  peerAddress: string | null;
  /** The open connection's resync is complete (RESYNC_END). */
  resynced: boolean;
  /** When the last stream whose resync was complete closed (ms since the epoch), or null: the table was in sync until then. */
  inSyncLostAt: number | null;
  /** The last valid frame from the peer (ms since the epoch), or null. */
  lastMessageAt: number | null;
  lastResyncAt: number | null;
  resyncs: number;
  appliedFlows: number;
  appliedEnds: number;
  /** Records naming a service or backend this node does not have (its config differs). */
  unknownBackends: number;
  writeErrors: number;
}

interface Inbound {
  socket: Socket;
  from: string;
  challenge: Buffer;
  expectedSeq: bigint;
  authenticated: boolean;
  resynced: boolean;
  aliveTimer?: NodeJS.Timeout;
}

export class SyncReceiver {
  readonly #o: ReceiverOptions;
  #server: Server | undefined;
  readonly #open = new Set<Inbound>();
  #current: Inbound | undefined;
  readonly lag = new LagWindow();
  readonly refusals: Refusals = { total: 0, byReason: { 'bad-mac': 0, 'bad-sequence': 0, 'bad-frame': 0, 'bad-hello': 0 }, last: null };
  readonly status: ReceiverStatus = {
    connected: false,
    peerAddress: null,
    resynced: false,
    inSyncLostAt: null,
    lastMessageAt: null,
    lastResyncAt: null,
    resyncs: 0,
    appliedFlows: 0,
    appliedEnds: 0,
    unknownBackends: 0,
    writeErrors: 0,
  };

  constructor(options: ReceiverOptions) {
    this.#o = options;
  }

  /** Resolves once listening; rejects (naming the address) when the address cannot be bound. */
  start(): Promise<void> {
    const server = createServer((socket) => this.#accept(socket));
    this.#server = server;
    server.maxConnections = MAX_CONNECTIONS;
    return new Promise((resolve, reject) => {
      server.once('error', (error) => reject(new Error(`flow sync: cannot listen on ${this.#o.listen.address}:${this.#o.listen.port}: ${error.message}`)));
      server.listen({ host: this.#o.listen.address, port: this.#o.listen.port }, () => resolve());
    });
  }

  stop(): void {
    this.#server?.close();
    for (const c of this.#open) c.socket.destroy();
  }

  #accept(socket: Socket): void {
    const from = `${socket.remoteAddress}:${socket.remotePort}`;
    const hello = helloFrame();
    const conn: Inbound = { socket, from, challenge: hello.challenge, expectedSeq: 1n, authenticated: false, resynced: false };
    this.#open.add(conn);
    socket.setNoDelay(true);
    const deadline = setTimeout(() => {
      if (!conn.authenticated) this.#refuse(conn, new SyncRefusal('bad-hello', `no valid frame within ${HELLO_DEADLINE_MS} ms`));
    }, HELLO_DEADLINE_MS);
    const splitter = new FrameSplitter();
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const message of splitter.push(chunk)) {
          if (socket.destroyed) return;
          this.#handle(conn, verifyFrame(this.#o.key, conn.challenge, message, conn.expectedSeq));
        }
      } catch (error) {
        if (error instanceof SyncRefusal) this.#refuse(conn, error);
        else {
          this.#o.log('error', `flow sync from ${from}: ${(error as Error).message}`);
          socket.destroy();
        }
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      clearTimeout(deadline);
      clearInterval(conn.aliveTimer);
      this.#open.delete(conn);
      if (this.#current === conn) {
        this.#o.log('warn', `flow sync: the peer's stream from ${from} closed`);
        if (conn.resynced) this.status.inSyncLostAt = Date.now();
        /* Another authenticated stream still open (the peer reconnected before the old one timed out) carries on. */
        this.#current = [...this.#open].filter((c) => c.authenticated).pop();
        this.status.connected = this.#current !== undefined;
        this.status.resynced = this.#current?.resynced ?? false;
        this.status.peerAddress = this.#current?.from ?? this.status.peerAddress;
      }
    });
    socket.write(hello.bytes);
  }

  #refuse(conn: Inbound, refusal: SyncRefusal): void {
    this.refusals.total++;
    this.refusals.byReason[refusal.reason]++;
    this.refusals.last = { at: Date.now(), from: conn.from, reason: refusal.reason, detail: refusal.message };
    this.#o.log('warn', `flow sync: refused a frame from ${conn.from}: ${refusal.message}; connection closed`);
    conn.socket.destroy();
  }

  #handle(conn: Inbound, frame: Frame): void {
    conn.expectedSeq++;
    if (!conn.authenticated && frame.type !== FrameType.OPEN) throw new SyncRefusal('bad-frame', `the first frame is of type ${frame.type}, not OPEN`);
    if (conn.authenticated && frame.type === FrameType.OPEN) throw new SyncRefusal('bad-frame', 'a second OPEN');
    if (!conn.authenticated) {
      conn.authenticated = true;
      this.#current = conn;
      this.status.connected = true;
      this.status.resynced = false;
      this.status.peerAddress = conn.from;
      this.#o.log('info', `flow sync: the peer's stream from ${conn.from} is authenticated`);
      this.#startAlive(conn, frame.body);
      this.#o.onPeerConnected?.();
    }
    this.status.lastMessageAt = Date.now();
    switch (frame.type) {
      case FrameType.RESYNC_BEGIN:
        conn.resynced = false;
        if (conn === this.#current) this.status.resynced = false;
        this.#o.names.refresh();
        break;
      case FrameType.RESYNC_END:
        conn.resynced = true;
        if (conn === this.#current) this.status.resynced = true;
        this.status.resyncs++;
        this.status.lastResyncAt = Date.now();
        this.#o.log('info', `flow sync: resync from ${conn.from} complete`);
        break;
      case FrameType.FLOWS:
        this.#applyFlows(frame);
        break;
      case FrameType.ENDS:
        this.#applyEnds(frame);
        break;
      case FrameType.HEARTBEAT:
      case FrameType.OPEN:
        break;
      default:
        throw new SyncRefusal('bad-frame', `a frame of type ${frame.type} from the sender`);
    }
  }

  /* ALIVE frames under the sender's challenge: the peer learns this node is up even while it streams nothing to it. */
  #startAlive(conn: Inbound, challenge: Buffer): void {
    if (challenge.length !== CHALLENGE_BYTES) throw new SyncRefusal('bad-frame', `an OPEN challenge of ${challenge.length} bytes`);
    let seq = 0n;
    const alive = () => {
      if (conn.socket.destroyed) return;
      seq += 1n;
      conn.socket.write(encodeFrame(this.#o.key, challenge, { type: FrameType.ALIVE, seq, sentAtMs: Date.now(), body: encodeClaim(this.#o.claim()) }));
    };
    alive();
    conn.aliveTimer = setInterval(alive, HEARTBEAT_MS);
  }

  #applyFlows(frame: Frame): void {
    const records = decodeFlows(frame.body);
    const master = this.#o.isMaster();
    const nowNs = process.hrtime.bigint();
    let deltas = false;
    for (const record of records) {
      const ids = this.#o.names.idsOf(record.name);
      if (!ids) {
        this.status.unknownBackends++;
        continue;
      }
      const table = record.kind === RecordKind.RESYNC || record.kind === RecordKind.REFRESH;
      deltas ||= !table;
      try {
        writePeerFlow(
          this.#o.maps,
          record.key,
          { serviceId: ids.serviceId, backendId: ids.backendId, tcpState: record.tcpState, flags: record.flags },
          table && master ? 'keep-local' : 'replace',
          nowNs,
        );
        this.status.appliedFlows++;
      } catch (error) {
        if (this.status.writeErrors++ === 0) this.#o.log('error', `flow sync: writing a synced flow: ${(error as Error).message}`);
      }
    }
    /* Lag of the changes the master saw; a table's records are as old as the stream, not a change. */
    if (deltas) this.lag.add(Date.now() - frame.sentAtMs);
  }

  #applyEnds(frame: Frame): void {
    for (const record of decodeEnds(frame.body)) {
      const ids = this.#o.names.idsOf(record.name);
      if (!ids) {
        this.status.unknownBackends++;
        continue;
      }
      if (endPeerFlow(this.#o.maps, record.key, ids.backendId)) this.status.appliedEnds++;
    }
  }
}
