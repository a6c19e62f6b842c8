// Random tunnelled frames for the decapsulation program's fuzz test: IPIP,
// IP6IP6 and GUE (either outer family, either inner family) to the host's
// tunnel addresses or to others, sometimes fragmented, with options, to the
// wrong port or with a foreign inner header; mixed with the balancer's fuzz
// frames (ordinary traffic), and half of them mutated.
import type { PacketSpec } from '@sluice/dataplane/test-packets';
import { HOST } from '../decap/fixtures.ts';
import { fuzzFrame, mutate } from './fuzz-packets.ts';
import type { Random } from './random.ts';
import { type Outer, encapsulate, encapsulateBytes } from './tunnel-frames.ts';

const V4_DESTINATIONS = [HOST.v4, HOST.v4Second, '198.51.100.9'];
const V6_DESTINATIONS = [HOST.v6, '2001:db8:51::9'];
const INNER_V4 = ['192.0.2.10', '203.0.113.80'];
const INNER_V6 = ['2001:db8:c::10', '2001:db8:f::80'];

function innerSpec(random: Random, family: 4 | 6): PacketSpec {
  const hosts = family === 4 ? INNER_V4 : INNER_V6;
  const spec: PacketSpec = {
    src: hosts[0]!,
    dst: hosts[1]!,
    srcPort: 1024 + random.int(64000),
    dstPort: random.pick([80, 443, 53]),
    protocol: random.chance(0.9) ? random.pick(['tcp', 'udp'] as const) : random.pick([1, 58]),
    tcpFlags: random.int(256),
    payload: random.bytes(random.int(1400)),
  };
  if (family === 4 && random.chance(0.05)) spec.fragment = { offset: random.int(2) * 100, more: random.chance(0.5) };
  return spec;
}

function outerOf(random: Random, family: 4 | 6): Outer {
  const kind = random.pick(['ipip', 'gue'] as const);
  const outer: Outer = {
    kind,
    src: family === 4 ? '198.51.100.1' : '2001:db8:51::1',
    dst: random.pick(family === 4 ? V4_DESTINATIONS : V6_DESTINATIONS),
    guePort: random.chance(0.9) ? HOST.guePort : random.int(65536),
    gueSourcePort: 49152 + random.int(16384),
    udpChecksum: random.chance(0.3),
  };
  if (family === 4 && random.chance(0.05)) outer.fragment = { offset: random.int(2) * 185, more: random.chance(0.5) };
  if (family === 4 && random.chance(0.05)) outer.ipv4Options = Buffer.from([1, 1, 1, 0]);
  if (family === 6 && random.chance(0.05)) outer.ipv6ExtensionHeader = random.pick([0, 44, 60]);
  return outer;
}

function tunnelFrame(random: Random): Buffer {
  const outerFamily = random.chance(0.5) ? 4 : 6;
  const outer = outerOf(random, outerFamily);
  /* IPIP keeps the family; GUE may carry either; now and then the wrong one, or no IP at all. */
  const innerFamily = outer.kind === 'gue' || random.chance(0.05) ? (random.chance(0.5) ? 4 : 6) : outerFamily;
  if (random.chance(0.05)) return encapsulateBytes(outer, random.bytes(random.int(60)), innerFamily);
  return encapsulate(outer, innerSpec(random, innerFamily));
}

/** One decap fuzz frame: a tunnel (about two thirds) or ordinary traffic, mutated half the time. */
export function fuzzTunnelFrame(random: Random): Buffer {
  const frame = random.chance(0.67) ? tunnelFrame(random) : fuzzFrame(random);
  return random.chance(0.5) ? frame : mutate(random, frame);
}
