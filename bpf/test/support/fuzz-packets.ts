// Random packets aimed where it matters (VIPs and their ports, backends,
// clients, strangers), then mutated: bytes flipped, cut short, grown.
import { type PacketSpec, TCP, buildPacket } from '@sluice/dataplane/test-packets';
import type { Random } from './random.ts';
import { ALL_SERVICES } from './services.ts';

const ETHERNET = 14;
const services = Object.values(ALL_SERVICES);
const V4_HOSTS = ['198.18.0.2', '198.18.0.3', '198.19.1.2', '198.19.2.2', '198.19.3.2', '10.1.2.3', '198.18.100.9'];
const V6_HOSTS = ['2001:db8::2', '2001:db8:1:1::2', '2001:db8:1:2::2', '2001:db8:100::9', 'fd00::1'];
const TCP_FLAG_SETS = [TCP.SYN, TCP.ACK, TCP.ACK | TCP.PSH, TCP.FIN | TCP.ACK, TCP.RST, TCP.SYN | TCP.ACK, 0xff];

function randomSpec(random: Random): PacketSpec {
  const towardService = random.chance(0.5);
  const service = random.pick(services);
  const family = towardService ? (service.address.includes(':') ? 6 : 4) : random.chance(0.5) ? 6 : 4;
  const hosts = family === 4 ? V4_HOSTS : V6_HOSTS;
  const protocol = random.chance(0.9) ? random.pick(['tcp', 'udp'] as const) : random.pick([1, 47, 58, 132]);
  const spec: PacketSpec = {
    src: random.pick(hosts),
    dst: towardService ? service.address : random.pick(hosts),
    srcPort: random.chance(0.3) ? random.pick([8080, 5353, 80, 53]) : 1024 + random.int(64000),
    dstPort: towardService && random.chance(0.8) ? service.port : random.int(65536),
    protocol,
    tcpFlags: random.pick(TCP_FLAG_SETS),
    /* Now and then near a full frame: too big for the 1400-byte backend link once encapsulated. */
    payload: random.bytes(random.chance(0.02) ? 1300 + random.int(150) : random.int(64)),
    ttl: random.chance(0.05) ? random.int(3) : 64,
  };
  if (family === 4 && random.chance(0.03)) spec.udpNoChecksum = true;
  if (random.chance(0.03)) spec.vlanIds = random.chance(0.5) ? [7] : [7, 8];
  if (family === 4 && random.chance(0.03)) spec.ipv4Options = Buffer.from([1, 1, 1, 0]);
  if (family === 4 && random.chance(0.03)) spec.fragment = { offset: random.int(2) * 100, more: random.chance(0.5) };
  if (family === 6 && random.chance(0.03)) spec.ipv6ExtensionHeader = random.pick([0, 44, 60]);
  return spec;
}

/** A frame bent out of shape: bytes after the Ethernet header flipped, cut short, or grown. */
export function mutate(random: Random, frame: Buffer): Buffer {
  const kind = random.int(3);
  if (kind === 0) {
    const flipped = Buffer.from(frame);
    for (let n = 1 + random.int(4); n > 0; n--) flipped[ETHERNET + random.int(flipped.length - ETHERNET)] = random.int(256);
    return flipped;
  }
  if (kind === 1) return Buffer.from(frame.subarray(0, ETHERNET + random.int(frame.length - ETHERNET)));
  return Buffer.concat([frame, random.bytes(1 + random.int(32))]);
}

/** One fuzz frame: well-formed (about half) or mutated. */
export function fuzzFrame(random: Random): Buffer {
  const frame = buildPacket(randomSpec(random));
  return random.chance(0.5) ? frame : mutate(random, frame);
}
