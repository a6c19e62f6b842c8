/*
 * The flow-sync channel's wire format (one TCP connection per direction,
 * sender -> receiver). The receiver opens with a HELLO carrying a fresh
 * random challenge; every frame after it carries a sequence number and an
 * HMAC-SHA256, under the pair's shared key, of that challenge and the frame.
 * So a node without the key cannot make a frame the receiver accepts, and a
 * recorded frame replays neither into another connection (other challenge)
 * nor into the same one (the sequence must be exactly the next).
 *
 * The sender's first frame (OPEN) carries a challenge of its own, and the
 * receiver answers with ALIVE frames under it every heartbeat: so each node
 * knows its peer is alive from either direction, and no one without the key
 * can fake that either.
 *
 *   HELLO  u32 length (20) | "SLS1" | challenge[16]
 *   frame  u32 length | type u8 | 0 u8[3] | seq u64 | sentAtMs f64 | body | hmac[32]
 *
 * Numbers are big-endian. A FLOWS or ENDS body names backends by a table of
 * "service endpoint" names (this node's and the peer's backend ids may
 * differ), then fixed-size records keyed by the flow's struct flow_key bytes.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { vrrpRoles } from '@sluice/api';
import { flowKeyLayout } from '@sluice/dataplane';
import type { VipClaim } from './split-brain.js';

export const HELLO_MAGIC = Buffer.from('SLS1');
export const CHALLENGE_BYTES = 16;
const HELLO_BYTES = HELLO_MAGIC.length + CHALLENGE_BYTES;
const HEADER_BYTES = 20;
const MAC_BYTES = 32;
/* Bounds what a peer can make this node buffer: a batch of MAX_BATCH_RECORDS fits with room to spare. */
export const MAX_FRAME_BYTES = 1 << 20;
export const MAX_BATCH_RECORDS = 4096;
export const KEY_BYTES = flowKeyLayout.size;
const FLOW_RECORD_BYTES = KEY_BYTES + 8;
const END_RECORD_BYTES = KEY_BYTES + 2;

export const FrameType = {
  FLOWS: 1,
  RESYNC_BEGIN: 2,
  RESYNC_END: 3,
  HEARTBEAT: 4,
  ENDS: 5,
  /* Sender -> receiver, first: body = the sender's challenge for the ALIVE frames. */
  OPEN: 6,
  /* Receiver -> sender, every heartbeat, under the sender's challenge: body = the receiver's VIP claim (encodeClaim). */
  ALIVE: 7,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/* enum sluice_flow_event_kind's values, then the sender's own table reads. */
export const RecordKind = { NEW: 0, ESTABLISHED: 1, RESTEERED: 2, RESYNC: 3, REFRESH: 4 } as const;
export type RecordKind = (typeof RecordKind)[keyof typeof RecordKind];

export interface FlowRecord {
  key: Buffer;
  /** "service endpoint", e.g. "198.18.100.1:80/tcp 198.19.0.11:80". */
  name: string;
  kind: RecordKind;
  tcpState: number;
  flags: number;
}

export interface EndRecord {
  key: Buffer;
  name: string;
}

export interface Frame {
  type: FrameType;
  seq: bigint;
  sentAtMs: number;
  body: Buffer;
}

/** Why a frame was refused: counted by reason (metric, node.status). */
export type RefusalReason = 'bad-mac' | 'bad-sequence' | 'bad-frame' | 'bad-hello';

export class SyncRefusal extends Error {
  constructor(
    readonly reason: RefusalReason,
    detail: string,
  ) {
    super(`${reason}: ${detail}`);
    this.name = 'SyncRefusal';
  }
}

export function helloFrame(challenge: Buffer = randomBytes(CHALLENGE_BYTES)): { challenge: Buffer; bytes: Buffer } {
  const bytes = Buffer.alloc(4 + HELLO_BYTES);
  bytes.writeUInt32BE(HELLO_BYTES, 0);
  HELLO_MAGIC.copy(bytes, 4);
  challenge.copy(bytes, 4 + HELLO_MAGIC.length);
  return { challenge, bytes };
}

function mac(key: Buffer, challenge: Buffer, signed: Buffer): Buffer {
  return createHmac('sha256', key).update(challenge).update(signed).digest();
}

export function encodeFrame(key: Buffer, challenge: Buffer, frame: Frame): Buffer {
  const length = HEADER_BYTES + frame.body.length + MAC_BYTES;
  if (length > MAX_FRAME_BYTES) throw new RangeError(`sync frame of ${length} bytes is over ${MAX_FRAME_BYTES}`);
  const out = Buffer.alloc(4 + length);
  out.writeUInt32BE(length, 0);
  out.writeUInt8(frame.type, 4);
  out.writeBigUInt64BE(frame.seq, 8);
  out.writeDoubleBE(frame.sentAtMs, 16);
  frame.body.copy(out, 4 + HEADER_BYTES);
  mac(key, challenge, out.subarray(4, 4 + HEADER_BYTES + frame.body.length)).copy(out, 4 + HEADER_BYTES + frame.body.length);
  return out;
}

/**
 * Splits a byte stream into length-prefixed messages. A length over
 * MAX_FRAME_BYTES (or under a header) is refused before anything is buffered.
 */
export class FrameSplitter {
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  push(chunk: Buffer): Buffer[] {
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    const out: Buffer[] = [];
    for (;;) {
      if (this.#pendingBytes < 4) return out;
      const all = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending);
      this.#pending = [all];
      const length = all.readUInt32BE(0);
      if (length > MAX_FRAME_BYTES || length < HELLO_BYTES) throw new SyncRefusal('bad-frame', `a message of ${length} bytes (at most ${MAX_FRAME_BYTES})`);
      if (all.length < 4 + length) return out;
      out.push(all.subarray(4, 4 + length));
      const rest = all.subarray(4 + length);
      this.#pending = rest.length ? [rest] : [];
      this.#pendingBytes = rest.length;
    }
  }
}

export function readHello(message: Buffer): Buffer {
  if (message.length !== HELLO_BYTES || !message.subarray(0, HELLO_MAGIC.length).equals(HELLO_MAGIC))
    throw new SyncRefusal('bad-hello', 'the receiver did not open with a sync HELLO');
  return Buffer.from(message.subarray(HELLO_MAGIC.length));
}

/** Checks a frame's MAC (first) and sequence; returns it or throws SyncRefusal. */
export function verifyFrame(key: Buffer, challenge: Buffer, message: Buffer, expectedSeq: bigint): Frame {
  if (message.length < HEADER_BYTES + MAC_BYTES) throw new SyncRefusal('bad-frame', `a frame of ${message.length} bytes is shorter than its header`);
  const signed = message.subarray(0, message.length - MAC_BYTES);
  const given = message.subarray(message.length - MAC_BYTES);
  if (!timingSafeEqual(mac(key, challenge, signed), given)) throw new SyncRefusal('bad-mac', 'the HMAC does not match the shared key');
  const seq = message.readBigUInt64BE(4);
  if (seq !== expectedSeq) throw new SyncRefusal('bad-sequence', `sequence ${seq}, expected ${expectedSeq} (a replay or a lost frame)`);
  const type = message.readUInt8(0) as FrameType;
  if (!Object.values(FrameType).includes(type)) throw new SyncRefusal('bad-frame', `unknown frame type ${type}`);
  return { type, seq, sentAtMs: message.readDoubleBE(12), body: Buffer.from(signed.subarray(HEADER_BYTES)) };
}

/* ---- bodies ---- */

function namesTable(names: string[]): Buffer {
  const parts: Buffer[] = [Buffer.alloc(2)];
  parts[0]!.writeUInt16BE(names.length, 0);
  for (const name of names) {
    const bytes = Buffer.from(name, 'utf8');
    const length = Buffer.alloc(2);
    length.writeUInt16BE(bytes.length, 0);
    parts.push(length, bytes);
  }
  return Buffer.concat(parts);
}

function readNames(body: Buffer): { names: string[]; at: number } {
  const fail = () => {
    throw new SyncRefusal('bad-frame', 'a names table runs past its frame');
  };
  if (body.length < 2) fail();
  const count = body.readUInt16BE(0);
  const names: string[] = [];
  let at = 2;
  for (let i = 0; i < count; i++) {
    if (at + 2 > body.length) fail();
    const length = body.readUInt16BE(at);
    if (at + 2 + length > body.length) fail();
    names.push(body.toString('utf8', at + 2, at + 2 + length));
    at += 2 + length;
  }
  return { names, at };
}

function indexNames<T extends { name: string }>(records: T[]): { names: string[]; indexOf: Map<string, number> } {
  const indexOf = new Map<string, number>();
  for (const r of records) if (!indexOf.has(r.name)) indexOf.set(r.name, indexOf.size);
  return { names: [...indexOf.keys()], indexOf };
}

/** A batch: the names table, the record count, then each record (its key and name index written here, the rest by `writeRest`). */
function encodeBatch<T extends { key: Buffer; name: string }>(records: T[], recordBytes: number, writeRest: (r: T, out: Buffer, at: number) => void): Buffer {
  const { names, indexOf } = indexNames(records);
  const table = namesTable(names);
  const out = Buffer.alloc(table.length + 4 + records.length * recordBytes);
  table.copy(out, 0);
  out.writeUInt32BE(records.length, table.length);
  let at = table.length + 4;
  for (const r of records) {
    r.key.copy(out, at);
    out.writeUInt16BE(indexOf.get(r.name)!, at + KEY_BYTES);
    writeRest(r, out, at);
    at += recordBytes;
  }
  return out;
}

export function encodeFlows(records: FlowRecord[]): Buffer {
  return encodeBatch(records, FLOW_RECORD_BYTES, (r, out, at) => {
    out.writeUInt8(r.kind, at + KEY_BYTES + 2);
    out.writeUInt8(r.tcpState, at + KEY_BYTES + 3);
    out.writeUInt32BE(r.flags, at + KEY_BYTES + 4);
  });
}

function recordsOf(body: Buffer, recordBytes: number): { names: string[]; count: number; at: number } {
  const { names, at } = readNames(body);
  if (at + 4 > body.length) throw new SyncRefusal('bad-frame', 'a batch without its record count');
  const count = body.readUInt32BE(at);
  if (body.length !== at + 4 + count * recordBytes) throw new SyncRefusal('bad-frame', `${count} records do not fill the frame`);
  return { names, count, at: at + 4 };
}

function nameAt(names: string[], index: number): string {
  const name = names[index];
  if (name === undefined) throw new SyncRefusal('bad-frame', `a record names backend ${index} of ${names.length}`);
  return name;
}

export function decodeFlows(body: Buffer): FlowRecord[] {
  const { names, count, at } = recordsOf(body, FLOW_RECORD_BYTES);
  const out: FlowRecord[] = [];
  for (let i = 0, o = at; i < count; i++, o += FLOW_RECORD_BYTES) {
    const kind = body.readUInt8(o + KEY_BYTES + 2);
    if (kind > RecordKind.REFRESH) throw new SyncRefusal('bad-frame', `record kind ${kind}`);
    out.push({
      key: Buffer.from(body.subarray(o, o + KEY_BYTES)),
      name: nameAt(names, body.readUInt16BE(o + KEY_BYTES)),
      kind: kind as RecordKind,
      tcpState: body.readUInt8(o + KEY_BYTES + 3),
      flags: body.readUInt32BE(o + KEY_BYTES + 4),
    });
  }
  return out;
}

export function encodeEnds(records: EndRecord[]): Buffer {
  return encodeBatch(records, END_RECORD_BYTES, () => {});
}

export function decodeEnds(body: Buffer): EndRecord[] {
  const { names, count, at } = recordsOf(body, END_RECORD_BYTES);
  const out: EndRecord[] = [];
  for (let i = 0, o = at; i < count; i++, o += END_RECORD_BYTES)
    out.push({ key: Buffer.from(body.subarray(o, o + KEY_BYTES)), name: nameAt(names, body.readUInt16BE(o + KEY_BYTES)) });
  return out;
}

/*
 * An ALIVE body: whether the node holds the VIPs (u8 0|1), its VRRP role (u8:
 * 0 none, then vrrpRoles' order + 1), 0 u8[2], for how long it has held the
 * VIPs (u32 ms, capped). Empty from a build before split-brain detection:
 * such a peer claims nothing, and no split is seen with it.
 */
const CLAIM_BYTES = 8;

export function encodeClaim(claim: VipClaim): Buffer {
  const out = Buffer.alloc(CLAIM_BYTES);
  out.writeUInt8(claim.holds ? 1 : 0, 0);
  out.writeUInt8(claim.role ? vrrpRoles.indexOf(claim.role) + 1 : 0, 1);
  out.writeUInt32BE(Math.min(0xffff_ffff, Math.max(0, Math.round(claim.heldForMs))), 4);
  return out;
}

export function decodeClaim(body: Buffer): VipClaim | null {
  if (body.length === 0) return null;
  if (body.length !== CLAIM_BYTES || body.readUInt8(0) > 1 || body.readUInt8(1) > vrrpRoles.length)
    throw new SyncRefusal('bad-frame', `an ALIVE body of ${body.length} bytes is no VIP claim`);
  const role = body.readUInt8(1);
  return { holds: body.readUInt8(0) === 1, heldForMs: body.readUInt32BE(4), role: role === 0 ? null : vrrpRoles[role - 1]! };
}
