/*
 * The 64-byte frames the packet-cost cases send (IPv6 TCP cannot be shorter
 * than 74), and where in them the harness writes each iteration's flow.
 */
import { buildPacket, TCP } from '@sluice/dataplane/test-packets';

export type Family = 4 | 6;
export type Protocol = 'tcp' | 'udp';
export type Direction = 'forward' | 'reply';

export const MIN_FRAME = 64;
/* Flow i uses client port PORT_BASE + i % PORTS_PER_ADDR and address base + i / PORTS_PER_ADDR. */
export const PORT_BASE = 1024;
export const PORTS_PER_ADDR = 32768;
export const SERVICE_PORT = 80;
export const BACKEND_PORT = 8080;
/** The one backend of VIP .2 listens on its own port: an endpoint that serves one service, as most do. */
export const REPLY_BACKEND_PORT = 8081;

/** First client address of the cycled flows; the bench network has neighbours for the next 63. */
export const CLIENT_BASE = { 4: '198.18.1.0', 6: '2001:db8::1:0' } as const;
/* Last 32-bit word of CLIENT_BASE, host order. */
const CLIENT_BASE_WORD = { 4: 0xc6120100, 6: 0x00010000 } as const;

/** VIPs: .1 has three backends (every algorithm), .2 one backend (the reply path needs a known backend). */
export const VIP = { 4: ['198.18.100.1', '198.18.100.2'], 6: ['2001:db8:100::1', '2001:db8:100::2'] } as const;
export const BACKENDS = { 4: ['198.19.1.2', '198.19.2.2', '198.19.3.2'], 6: ['2001:db8:1:1::2', '2001:db8:1:2::2', '2001:db8:1:3::2'] } as const;
/** An address nobody balances: the "not for us" pass-through case. */
export const NOT_A_VIP = { 4: '198.19.1.2', 6: '2001:db8:1:1::2' } as const;

const L3 = 14;
const L4 = { 4: L3 + 20, 6: L3 + 40 } as const;
const SRC_LAST_WORD = { 4: L3 + 12, 6: L3 + 8 + 12 } as const;
const DST_LAST_WORD = { 4: L3 + 16, 6: L3 + 24 + 12 } as const;

export interface FrameSpec {
  family: Family;
  protocol: Protocol;
  direction: Direction;
  /** TCP flags; ignored for UDP. */
  tcpFlags?: number;
  /** Which VIP (0: three backends, 1: one backend); forward direction only. */
  vip?: 0 | 1;
  /** Send to an address that is no VIP (pass-through). */
  notForUs?: boolean;
}

export interface FrameTemplate {
  frame: Buffer;
  /** Where the client's port and the last word of its address sit. */
  portOffset: number;
  addrOffset: number;
  basePort: number;
  baseAddr: number;
}

function headerBytes(family: Family, protocol: Protocol): number {
  return L4[family] + (protocol === 'tcp' ? 20 : 8);
}

export function frameTemplate(spec: FrameSpec): FrameTemplate {
  const { family, protocol, direction } = spec;
  const payload = Buffer.alloc(Math.max(0, MIN_FRAME - headerBytes(family, protocol)), 0x61);
  const client = CLIENT_BASE[family];
  const tcpFlags = protocol === 'tcp' ? (spec.tcpFlags ?? TCP.ACK) : undefined;
  const frame =
    direction === 'forward'
      ? buildPacket({
          src: client,
          dst: spec.notForUs ? NOT_A_VIP[family] : VIP[family][spec.vip ?? 0],
          srcPort: PORT_BASE,
          dstPort: spec.notForUs ? BACKEND_PORT : SERVICE_PORT,
          protocol,
          tcpFlags,
          payload,
        })
      : buildPacket({ src: BACKENDS[family][0], dst: client, srcPort: REPLY_BACKEND_PORT, dstPort: PORT_BASE, protocol, tcpFlags, payload });
  return {
    frame,
    portOffset: direction === 'forward' ? L4[family] : L4[family] + 2,
    addrOffset: direction === 'forward' ? SRC_LAST_WORD[family] : DST_LAST_WORD[family],
    basePort: PORT_BASE,
    baseAddr: CLIENT_BASE_WORD[family],
  };
}
