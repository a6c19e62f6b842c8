// The decapsulation program's fixtures: a tunnelled (or not) input frame and
// what must come out: the inner frame (stripped) or the input itself (passed
// or dropped), with the counter that names the outcome. Inputs are built by
// support/tunnel-frames.ts, expected frames by buildPacket: neither by the program.
import type { SluiceDecapCounter } from '@sluice/dataplane';
import { type PacketSpec, TCP, buildPacket } from '@sluice/dataplane/test-packets';
import { type Outer, TUNNEL_MACS, encapsulate, encapsulateBytes, innerFrame, innerIpPacket } from '../support/tunnel-frames.ts';

export type DecapOutcome = Exclude<keyof typeof SluiceDecapCounter, 'DECAP_CNT_MAX'>;

/** This host's tunnel endpoints and GUE port, as the fixtures configure the maps. */
export const HOST = { v4: '198.51.100.2', v4Second: '198.51.100.3', v6: '2001:db8:51::2', guePort: 6080 } as const;
const BALANCER = { v4: '198.51.100.1', v6: '2001:db8:51::1' } as const;
const OTHER_HOST = { v4: '198.51.100.9', v6: '2001:db8:51::9' } as const;

export interface DecapFixture {
  name: string;
  input: Buffer;
  outcome: DecapOutcome;
  /** The frame the stack must get (stripped fixtures); passed and dropped frames must come out as they went in. */
  stripped?: Buffer;
  /** Runs with this GUE port in decap_settings instead of HOST.guePort. */
  guePort?: number;
  /**
   * Why the TC entry point cannot run this frame, if it cannot:
   * BPF_PROG_TEST_RUN of a sched_cls program refuses (EINVAL) a frame shorter
   * than Ethernet plus the IP header its type names, so a cut outer header is
   * XDP-only here. The parse both share is the same code either way.
   */
  xdpOnly?: string;
}

/* Client -> VIP packets as a balancer forwards them, inside the tunnel. */
const tcp4: PacketSpec = { src: '192.0.2.10', dst: '203.0.113.80', srcPort: 41000, dstPort: 80, protocol: 'tcp', tcpFlags: TCP.SYN, payload: '' };
const udp4: PacketSpec = { src: '192.0.2.10', dst: '203.0.113.53', srcPort: 41001, dstPort: 53, protocol: 'udp', payload: 'query' };
const tcp6: PacketSpec = {
  src: '2001:db8:c::10',
  dst: '2001:db8:f::80',
  srcPort: 41002,
  dstPort: 443,
  protocol: 'tcp',
  tcpFlags: TCP.ACK | TCP.PSH,
  payload: 'GET / HTTP/1.1\r\n\r\n',
};
const udp6: PacketSpec = { src: '2001:db8:c::10', dst: '2001:db8:f::53', srcPort: 41003, dstPort: 53, protocol: 'udp', payload: 'query6' };

const ipip4 = (dst: string = HOST.v4): Outer => ({ kind: 'ipip', src: BALANCER.v4, dst });
const ipip6 = (dst: string = HOST.v6): Outer => ({ kind: 'ipip', src: BALANCER.v6, dst });
const gue4 = (extra: Partial<Outer> = {}): Outer => ({ kind: 'gue', src: BALANCER.v4, dst: HOST.v4, guePort: HOST.guePort, gueSourcePort: 52011, ...extra });
const gue6 = (extra: Partial<Outer> = {}): Outer => ({ kind: 'gue', src: BALANCER.v6, dst: HOST.v6, guePort: HOST.guePort, gueSourcePort: 61234, ...extra });

function strip(name: string, outer: Outer, inner: PacketSpec, outcome: DecapOutcome): DecapFixture {
  return { name, input: encapsulate(outer, inner), outcome, stripped: innerFrame(inner) };
}

function untouched(name: string, input: Buffer, outcome: DecapOutcome, guePort?: number): DecapFixture {
  return { name, input, outcome, guePort };
}

const withMacs = (spec: PacketSpec): PacketSpec => ({ ...spec, ...TUNNEL_MACS });

/** An inner IPv4 header whose IHL says 4 (shorter than the fixed header). */
function ihlFour(): Buffer {
  const packet = innerIpPacket(udp4);
  packet[0] = 0x44;
  return packet;
}

/* A GUE variant 0 header (version 0, no flags, protocol 4), then an IPv4 packet: Sluice sends only variant 1. */
function gueVariantZero(): Buffer {
  return Buffer.concat([Buffer.from([0x00, 0x00, 0x04, 0x00]), innerIpPacket(udp4)]);
}

/* A short tunnelled packet padded to Ethernet's 60-byte minimum: the padding stays, and the stack trims by the inner length. */
function paddedMinimumFrame(): DecapFixture {
  /* 14 + 20 + 20 + 4 = 58 bytes: an inner packet with 4 bytes past its IP header, padded by 2. */
  const tiny: PacketSpec = { src: udp4.src, dst: udp4.dst, protocol: 1, payload: Buffer.from([8, 0, 0xf7, 0xff]) };
  const padding = Buffer.alloc(60 - encapsulate(ipip4(), tiny).length);
  return {
    name: 'IPIP: a minimum-size frame with Ethernet padding keeps its padding',
    input: Buffer.concat([encapsulate(ipip4(), tiny), padding]),
    outcome: 'DECAP_CNT_IPIP',
    stripped: Buffer.concat([innerFrame(tiny), padding]),
  };
}

export const DECAP_FIXTURES: DecapFixture[] = [
  /* Stripped: every kind x inner TCP and UDP. */
  strip('IPIP: inner TCP SYN', ipip4(), tcp4, 'DECAP_CNT_IPIP'),
  strip('IPIP: inner UDP', ipip4(), udp4, 'DECAP_CNT_IPIP'),
  strip('IP6IP6: inner TCP', ipip6(), tcp6, 'DECAP_CNT_IP6IP6'),
  strip('IP6IP6: inner UDP', ipip6(), udp6, 'DECAP_CNT_IP6IP6'),
  strip('GUE over IPv4: inner TCP', gue4(), tcp4, 'DECAP_CNT_GUE_IPV4'),
  strip('GUE over IPv4: inner UDP', gue4(), udp4, 'DECAP_CNT_GUE_IPV4'),
  strip('GUE over IPv6: inner TCP', gue6(), tcp6, 'DECAP_CNT_GUE_IPV6'),
  strip('GUE over IPv6: inner UDP', gue6(), udp6, 'DECAP_CNT_GUE_IPV6'),
  strip('GUE over IPv4 carrying IPv6 (the version nibble tells): inner TCP', gue4(), tcp6, 'DECAP_CNT_GUE_IPV4'),
  strip('GUE over IPv6 carrying IPv4: inner UDP', gue6(), udp4, 'DECAP_CNT_GUE_IPV6'),
  strip('GUE over IPv6 with a computed (non-zero) UDP checksum: accepted as the zero one is', gue6({ udpChecksum: true }), udp6, 'DECAP_CNT_GUE_IPV6'),
  strip("IPIP to the host's second tunnel address", ipip4(HOST.v4Second), udp4, 'DECAP_CNT_IPIP'),
  strip('IPIP: a full-size inner TCP segment', ipip4(), { ...tcp4, tcpFlags: TCP.ACK, payload: Buffer.alloc(1440, 0x5a) }, 'DECAP_CNT_IPIP'),
  strip(
    'IPIP: an inner fragment is stripped (the stack reassembles the inner packet)',
    ipip4(),
    { ...udp4, fragment: { offset: 0, more: true } },
    'DECAP_CNT_IPIP',
  ),
  paddedMinimumFrame(),

  /* Passed untouched. */
  untouched("IPIP to another host's address: not for me", encapsulate(ipip4(OTHER_HOST.v4), tcp4), 'DECAP_CNT_PASS_NOT_FOR_ME'),
  untouched("IP6IP6 to another host's address: not for me", encapsulate(ipip6(OTHER_HOST.v6), tcp6), 'DECAP_CNT_PASS_NOT_FOR_ME'),
  untouched("GUE over IPv6 to another host's address: not for me", encapsulate(gue6({ dst: OTHER_HOST.v6 }), udp6), 'DECAP_CNT_PASS_NOT_FOR_ME'),
  untouched(
    'IPIP, outer IPv4 first fragment (MF): the stack reassembles',
    encapsulate({ ...ipip4(), fragment: { offset: 0, more: true } }, tcp4),
    'DECAP_CNT_PASS_FRAGMENT',
  ),
  untouched(
    'GUE over IPv4, a later outer fragment (offset, no UDP header)',
    encapsulateBytes({ ...gue4(), kind: 'ipip', protocolOverride: 17, fragment: { offset: 185, more: false } }, Buffer.alloc(40, 7)),
    'DECAP_CNT_PASS_FRAGMENT',
  ),
  untouched('IP6IP6 behind an IPv6 fragment header', encapsulate({ ...ipip6(), ipv6ExtensionHeader: 44 }, tcp6), 'DECAP_CNT_PASS_FRAGMENT'),
  untouched('IPIP, outer IPv4 with options', encapsulate({ ...ipip4(), ipv4Options: Buffer.from([1, 1, 1, 0]) }, tcp4), 'DECAP_CNT_PASS_IP_OPTIONS'),
  untouched('IP6IP6 behind a hop-by-hop header', encapsulate({ ...ipip6(), ipv6ExtensionHeader: 0 }, tcp6), 'DECAP_CNT_PASS_IP_OPTIONS'),
  untouched('GUE over IPv4 to the wrong port: ordinary UDP', encapsulate(gue4({ guePort: HOST.guePort + 1 }), udp4), 'DECAP_CNT_PASS_NOT_TUNNEL'),
  untouched('GUE over IPv6 to the wrong port: ordinary UDP', encapsulate(gue6({ guePort: 53 }), udp6), 'DECAP_CNT_PASS_NOT_TUNNEL'),
  untouched('GUE while no GUE port is set (0): ordinary UDP', encapsulate(gue4(), udp4), 'DECAP_CNT_PASS_NOT_TUNNEL', 0),
  untouched("plain TCP to the host's address", buildPacket(withMacs({ ...tcp4, dst: HOST.v4 })), 'DECAP_CNT_PASS_NOT_TUNNEL'),
  untouched("plain UDP over IPv6 to the host's address", buildPacket(withMacs({ ...udp6, dst: HOST.v6 })), 'DECAP_CNT_PASS_NOT_TUNNEL'),
  untouched(
    "ICMP to the host's address",
    buildPacket(withMacs({ src: BALANCER.v4, dst: HOST.v4, protocol: 1, payload: Buffer.alloc(16) })),
    'DECAP_CNT_PASS_NOT_TUNNEL',
  ),
  untouched(
    'IPv6 in IPv4 (protocol 41): not a tunnel Sluice sends',
    encapsulateBytes({ ...ipip4(), protocolOverride: 41 }, innerIpPacket(tcp6), 6),
    'DECAP_CNT_PASS_NOT_TUNNEL',
  ),
  untouched('GUE over IPv4 with the UDP header cut short', encapsulate(gue4(), udp4).subarray(0, 14 + 20 + 5), 'DECAP_CNT_PASS_NOT_TUNNEL'),
  untouched('ARP: not IP', Buffer.concat([Buffer.from('ffffffffffff020000000a010806', 'hex'), Buffer.alloc(28, 1)]), 'DECAP_CNT_PASS_NOT_IP'),
  untouched('VLAN-tagged IPIP: passes (attach to the VLAN interface)', buildPacket(withMacs({ ...tcp4, dst: HOST.v4, vlanIds: [7] })), 'DECAP_CNT_PASS_NOT_IP'),
  {
    ...untouched('IPIP cut inside the outer IPv4 header', encapsulate(ipip4(), tcp4).subarray(0, 14 + 12), 'DECAP_CNT_PASS_NOT_IP'),
    xdpOnly: 'the kernel builds no skb from a frame shorter than its IPv4 header',
  },
  {
    ...untouched('IP6IP6 cut inside the outer IPv6 header', encapsulate(ipip6(), tcp6).subarray(0, 14 + 39), 'DECAP_CNT_PASS_NOT_IP'),
    xdpOnly: 'the kernel builds no skb from a frame shorter than its IPv6 header',
  },
  untouched(
    'IPv4 ethertype, IPv6 version in the header',
    (() => {
      const frame = encapsulate(ipip4(), tcp4);
      frame[14] = 0x65;
      return frame;
    })(),
    'DECAP_CNT_PASS_NOT_IP',
  ),

  /* Dropped: a tunnel to this host, but no inner packet the stack could use. */
  untouched('IPIP with a truncated inner IPv4 header', encapsulate(ipip4(), tcp4).subarray(0, 14 + 20 + 10), 'DECAP_CNT_DROP_TRUNCATED_INNER'),
  untouched('IP6IP6 with a truncated inner IPv6 header', encapsulate(ipip6(), tcp6).subarray(0, 14 + 40 + 30), 'DECAP_CNT_DROP_TRUNCATED_INNER'),
  untouched('GUE over IPv4 with no inner packet at all', encapsulateBytes(gue4(), Buffer.alloc(0)), 'DECAP_CNT_DROP_TRUNCATED_INNER'),
  untouched('GUE over IPv6 with a truncated inner IPv6 header', encapsulate(gue6(), udp6).subarray(0, 14 + 40 + 8 + 20), 'DECAP_CNT_DROP_TRUNCATED_INNER'),
  untouched('IPIP (protocol 4) carrying an IPv6 packet', encapsulateBytes(ipip4(), innerIpPacket(tcp6), 4), 'DECAP_CNT_DROP_BAD_INNER'),
  untouched('IP6IP6 (next header 41) carrying an IPv4 packet', encapsulateBytes(ipip6(), innerIpPacket(tcp4), 6), 'DECAP_CNT_DROP_BAD_INNER'),
  untouched('GUE variant 0 (a GUE header): Sluice sends variant 1 only', encapsulateBytes(gue4(), gueVariantZero()), 'DECAP_CNT_DROP_BAD_INNER'),
  untouched('IPIP whose inner IPv4 IHL is below 5', encapsulateBytes(ipip4(), ihlFour()), 'DECAP_CNT_DROP_BAD_INNER'),
];

export const isDrop = (outcome: DecapOutcome) => outcome.startsWith('DECAP_CNT_DROP_');
