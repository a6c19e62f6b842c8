/*
 * What the packet-cost section measures (issue 5, part 1). Each case names
 * the path it exercises; the worker checks the data plane's counters after
 * each timed run to prove the packets really took that path.
 */
import { TCP } from '@sluice/dataplane/test-packets';
import type { Algorithm } from '@sluice/api';
import type { Direction, Family, Protocol } from './frames.js';

export type CaseKind =
  | 'established' /* the flow (or all `flows` flows) already tracked */
  | 'new-empty' /* every packet a new flow; the table has room */
  | 'new-full' /* every packet a new flow; the table is full, so every insert evicts */
  | 'pass'; /* not for a VIP: parsed, looked up, passed untouched */

/** The service's forwarding mode (nat unless a case says otherwise). */
export type ForwardingMode = 'nat' | 'dsr' | 'ipip' | 'gue';

export interface PacketCase {
  name: string;
  mode?: ForwardingMode;
  kind: CaseKind;
  family: Family;
  protocol: Protocol;
  direction: Direction;
  algorithm: Algorithm;
  /** Distinct flows cycled (established) ; 1 = the same flow every time. */
  flows: number;
}

const label = (family: Family, protocol: Protocol) => `ipv${family}-${protocol}`;
const flowLabel = (flows: number) => (flows === 1 ? '1-flow' : flows >= 1024 * 1024 ? `${flows / (1024 * 1024)}M-flows` : `${flows / 1024}K-flows`);

function established(family: Family, protocol: Protocol, flows: number): PacketCase {
  return {
    name: `packet-cost/established/${flowLabel(flows)}/${label(family, protocol)}`,
    kind: 'established',
    family,
    protocol,
    direction: 'forward',
    algorithm: 'maglev',
    flows,
  };
}

/* One established flow per mode: the nat row of the same family and protocol is packet-cost/established/1-flow/... */
function inMode(mode: ForwardingMode, family: Family, protocol: Protocol): PacketCase {
  return { ...established(family, protocol, 1), name: `packet-cost/mode-${mode}/established/1-flow/${label(family, protocol)}`, mode };
}

/* A new flow per packet (maglev, IPv4 TCP SYN) per mode, beside nat's packet-cost/new-flow/empty-table/maglev/ipv4-tcp. */
function newFlowInMode(mode: ForwardingMode, family: Family, protocol: Protocol): PacketCase {
  return { ...newFlow('new-empty', family, protocol, 'maglev'), name: `packet-cost/mode-${mode}/new-flow/empty-table/maglev/${label(family, protocol)}`, mode };
}

function newFlow(kind: 'new-empty' | 'new-full', family: Family, protocol: Protocol, algorithm: Algorithm): PacketCase {
  const table = kind === 'new-empty' ? 'empty-table' : 'full-table';
  return { name: `packet-cost/new-flow/${table}/${algorithm}/${label(family, protocol)}`, kind, family, protocol, direction: 'forward', algorithm, flows: 0 };
}

function reply(family: Family, protocol: Protocol, flows: number): PacketCase {
  return {
    name: `packet-cost/reply/${flowLabel(flows)}/${label(family, protocol)}`,
    kind: 'established',
    family,
    protocol,
    direction: 'reply',
    algorithm: 'maglev',
    flows,
  };
}

export function packetCases(): PacketCase[] {
  return [
    established(4, 'tcp', 1),
    established(4, 'udp', 1),
    established(6, 'tcp', 1),
    established(6, 'udp', 1),
    established(4, 'tcp', 1024),
    established(4, 'tcp', 64 * 1024),
    established(4, 'tcp', 512 * 1024),
    /* The live UDP floods' kind of packet, beside which forwarding/live-cpu/* is read (forwarding/live-cost.ts). */
    established(4, 'udp', 1024),
    established(4, 'udp', 64 * 1024),
    established(6, 'udp', 512 * 1024),
    newFlow('new-empty', 4, 'tcp', 'round-robin'),
    newFlow('new-empty', 4, 'tcp', 'weighted-round-robin'),
    newFlow('new-empty', 4, 'tcp', 'least-connections'),
    newFlow('new-empty', 4, 'tcp', 'source-hash'),
    newFlow('new-empty', 4, 'tcp', 'maglev'),
    newFlow('new-empty', 4, 'udp', 'maglev'),
    newFlow('new-empty', 6, 'tcp', 'maglev'),
    newFlow('new-empty', 6, 'udp', 'maglev'),
    reply(4, 'tcp', 1),
    reply(4, 'udp', 1),
    reply(6, 'tcp', 1),
    reply(4, 'tcp', 1024),
    reply(4, 'tcp', 64 * 1024),
    reply(4, 'tcp', 512 * 1024),
    ...(['dsr', 'ipip', 'gue'] as const).flatMap((mode) => [
      inMode(mode, 4, 'tcp'),
      inMode(mode, 4, 'udp'),
      inMode(mode, 6, 'tcp'),
      inMode(mode, 6, 'udp'),
      newFlowInMode(mode, 4, 'tcp'),
    ]),
    { name: 'packet-cost/pass/not-a-vip/ipv4-tcp', kind: 'pass', family: 4, protocol: 'tcp', direction: 'forward', algorithm: 'maglev', flows: 1 },
    /* Last: filling the 2M-entry table is the slowest set-up, done once for both. */
    newFlow('new-full', 4, 'tcp', 'maglev'),
    newFlow('new-full', 6, 'udp', 'round-robin'),
  ];
}

/** TCP flags of the timed packets: SYN opens new flows, ACK rides established ones. */
export function timedFlags(c: PacketCase): number {
  return c.kind === 'new-empty' || c.kind === 'new-full' ? TCP.SYN : TCP.ACK;
}
