// The health-probe steering program's fixtures: a probe (or not) as the
// balancer's stack hands it to TC egress, the action, the exact frame that
// must come out, and the counter that names the outcome. Expected outer
// headers are built here from the RFCs with the test's own checksum code
// (none of it from the program); the FIB answers are those of
// bpf/test/fixture-network.sh (support/network.ts).
import { type HealthProbe, type SluiceHealthCounter, SluiceForwardingMode } from '@sluice/dataplane';
import { type PacketSpec, TCP, addressBytes, buildPacket, internetChecksum, keyAddressBytes, macBytes } from '@sluice/dataplane/test-packets';
import { BACKEND_FACING, CLIENT_FACING, GATEWAY_MAC, SMALL_PATH_MTU, neighbourMac } from '../support/network.ts';

export type HealthOutcome = Exclude<keyof typeof SluiceHealthCounter, 'HEALTH_CNT_MAX'>;
type Mode = 'dsr' | 'ipip' | 'gue' | 'nat';

/* The balancer's uplink address (the probe's source) and its tunnel source on the backend-facing link. */
const BALANCER = { v4: '198.18.0.1', v6: '2001:db8::1' } as const;
export const TUNNEL_SOURCE = { v4: '198.19.0.1', v6: '2001:db8:1::1' } as const;
export const VIP = { v4: '198.18.100.1', v6: '2001:db8:100::1' } as const;
export const GUE_PORT = 6080;
/* The MAC the stack addressed the probe to (the uplink's gateway): the program replaces it. */
const UPLINK_GATEWAY_MAC = '02:00:00:00:c0:02';

export interface ProbeEntry {
  port: number;
  mode: Mode;
  family: 4 | 6;
  backend: string;
  vipPort?: number;
}

export interface HealthFixture {
  name: string;
  /** The probe entries in health_probes during this fixture. */
  entries: ProbeEntry[];
  input: Buffer;
  action: 'TC_ACT_REDIRECT' | 'TC_ACT_OK' | 'TC_ACT_SHOT';
  /** Run as on this interface's egress (by name in the fixture namespace); default the loopback. */
  egress?: string;
  /** The frame as the program leaves it (omitted: unchanged). */
  output?: Buffer;
  outcome: HealthOutcome;
}

const MODE_CODE: Record<Mode, number> = {
  nat: SluiceForwardingMode.MODE_NAT,
  dsr: SluiceForwardingMode.MODE_DSR,
  ipip: SluiceForwardingMode.MODE_IPIP,
  gue: SluiceForwardingMode.MODE_GUE,
};

/** The map value the agent would write for `entry`. */
export function probeValue(entry: ProbeEntry): HealthProbe {
  const v6 = entry.family === 6;
  return {
    vip: keyAddressBytes(v6 ? VIP.v6 : VIP.v4),
    backend: keyAddressBytes(entry.backend),
    outer_source: keyAddressBytes(v6 ? TUNNEL_SOURCE.v6 : TUNNEL_SOURCE.v4),
    vip_port: entry.vipPort ?? 80,
    gue_port: entry.mode === 'gue' ? GUE_PORT : 0,
    family: entry.family,
    mode: MODE_CODE[entry.mode],
  };
}

export function probe(family: 4 | 6, port: number, overrides: Partial<PacketSpec> = {}): PacketSpec {
  return {
    src: family === 4 ? BALANCER.v4 : BALANCER.v6,
    dst: family === 4 ? VIP.v4 : VIP.v6,
    srcPort: port,
    dstPort: 80,
    protocol: 'tcp',
    tcpFlags: TCP.SYN,
    payload: '',
    srcMac: CLIENT_FACING.mac,
    dstMac: UPLINK_GATEWAY_MAC,
    ...overrides,
  };
}

const withMacs = (frame: Buffer, dstMac: string, srcMac: string): Buffer => {
  const out = Buffer.from(frame);
  macBytes(dstMac).copy(out, 0);
  macBytes(srcMac).copy(out, 6);
  return out;
};

/*
 * The tunnelled probe: Ethernet (next hop's MAC from the backend-facing
 * MAC, same ethertype), outer IPv4 (RFC 791: ID 0, DF, TTL 64, inner TOS,
 * protocol 4 or 17) or IPv6 (RFC 8200: inner traffic class, flow label =
 * the probe port, hop limit 64, next header 41 or 17), for GUE a UDP header
 * (RFC 768: from 49152 + the port's low 14 bits, to the GUE port, checksum
 * 0), then the probe's IP packet byte for byte.
 */
function tunnelled(spec: PacketSpec, mode: 'ipip' | 'gue', backend: string, nextHopMac: string): Buffer {
  const frame = buildPacket(spec);
  const inner = frame.subarray(14);
  const v6 = spec.src.includes(':');
  const udp = Buffer.alloc(mode === 'gue' ? 8 : 0);
  if (mode === 'gue') {
    udp.writeUInt16BE(49152 + ((spec.srcPort ?? 0) & 0x3fff), 0);
    udp.writeUInt16BE(GUE_PORT, 2);
    udp.writeUInt16BE(8 + inner.length, 4);
  }
  let outer: Buffer;
  if (!v6) {
    outer = Buffer.alloc(20);
    outer[0] = 0x45;
    outer[1] = inner[1]!;
    outer.writeUInt16BE(20 + udp.length + inner.length, 2);
    outer.writeUInt16BE(0x4000, 6);
    outer[8] = 64;
    outer[9] = mode === 'gue' ? 17 : 4;
    addressBytes(TUNNEL_SOURCE.v4).copy(outer, 12);
    addressBytes(backend).copy(outer, 16);
    outer.writeUInt16BE(internetChecksum(outer), 10);
  } else {
    outer = Buffer.alloc(40);
    const trafficClass = (inner.readUInt32BE(0) >>> 20) & 0xff;
    outer.writeUInt32BE(((6 << 28) | (trafficClass << 20) | (spec.srcPort ?? 0)) >>> 0, 0);
    outer.writeUInt16BE(udp.length + inner.length, 4);
    outer[6] = mode === 'gue' ? 17 : 41;
    outer[7] = 64;
    addressBytes(TUNNEL_SOURCE.v6).copy(outer, 8);
    addressBytes(backend).copy(outer, 24);
  }
  const ethernet = Buffer.alloc(14);
  macBytes(nextHopMac).copy(ethernet, 0);
  macBytes(BACKEND_FACING.mac).copy(ethernet, 6);
  ethernet.writeUInt16BE(v6 ? 0x86dd : 0x0800, 12);
  return Buffer.concat([ethernet, outer, udp, inner]);
}

/* On-link backends with permanent neighbours, a routed one (behind the gateway), one with no neighbour entry. */
export const ON_LINK = { v4: '198.19.1.2', v6: '2001:db8:1:1::2' } as const;
const ON_LINK_2 = { v4: '198.19.2.2', v6: '2001:db8:1:2::2' } as const;
export const ROUTED = { v4: '198.20.0.5', v6: '2001:db8:20::5' } as const;
export const SMALL_MTU_ROUTED = '198.21.0.5';
export const UNRESOLVED = '198.19.9.2';

export function healthFixtures(): HealthFixture[] {
  const fixtures: HealthFixture[] = [];
  for (const family of [4, 6] as const) {
    const v = family === 4 ? 'v4' : 'v6';
    const http = probe(family, 61001, { tcpFlags: TCP.ACK | TCP.PSH, payload: 'GET /healthz HTTP/1.1\r\nHost: vip\r\n\r\n' });
    const syn = probe(family, 61001);
    fixtures.push({
      name: `dsr IPv${family}: the probe's SYN goes to the backend's MAC, IP packet untouched`,
      entries: [{ port: 61001, mode: 'dsr', family, backend: ON_LINK[v] }],
      input: buildPacket(syn),
      action: 'TC_ACT_REDIRECT',
      output: withMacs(buildPacket(syn), neighbourMac(ON_LINK[v]), BACKEND_FACING.mac),
      outcome: 'HEALTH_CNT_DSR',
    });
    fixtures.push({
      name: `dsr IPv${family}: on the backend-facing interface's own egress (where the redirect brings it) it gets the MACs and goes on, never redirected again`,
      entries: [{ port: 61001, mode: 'dsr', family, backend: ON_LINK[v] }],
      egress: BACKEND_FACING.name,
      input: withMacs(buildPacket(syn), neighbourMac(ON_LINK[v]), BACKEND_FACING.mac),
      action: 'TC_ACT_OK',
      output: withMacs(buildPacket(syn), neighbourMac(ON_LINK[v]), BACKEND_FACING.mac),
      outcome: 'HEALTH_CNT_DSR',
    });
    fixtures.push({
      name: `dsr IPv${family}: an HTTP request of a second probe port goes to its own backend`,
      entries: [
        { port: 61001, mode: 'dsr', family, backend: ON_LINK[v] },
        { port: 61002, mode: 'dsr', family, backend: ON_LINK_2[v] },
      ],
      input: buildPacket({ ...http, srcPort: 61002 }),
      action: 'TC_ACT_REDIRECT',
      output: withMacs(buildPacket({ ...http, srcPort: 61002 }), neighbourMac(ON_LINK_2[v]), BACKEND_FACING.mac),
      outcome: 'HEALTH_CNT_DSR',
    });
    for (const mode of ['ipip', 'gue'] as const) {
      fixtures.push({
        name: `${mode} IPv${family}: the probe's SYN inside the outer headers to the on-link backend`,
        entries: [{ port: 61001, mode, family, backend: ON_LINK[v] }],
        input: buildPacket(syn),
        action: 'TC_ACT_REDIRECT',
        output: tunnelled(syn, mode, ON_LINK[v], neighbourMac(ON_LINK[v])),
        outcome: mode === 'gue' ? 'HEALTH_CNT_GUE' : 'HEALTH_CNT_IPIP',
      });
      fixtures.push({
        name: `${mode} IPv${family}: tunnelled once on its way out, it passes that interface's egress as the tunnel it now is`,
        entries: [{ port: 61001, mode, family, backend: ON_LINK[v] }],
        egress: BACKEND_FACING.name,
        input: tunnelled(syn, mode, ON_LINK[v], neighbourMac(ON_LINK[v])),
        action: 'TC_ACT_OK',
        outcome: 'HEALTH_CNT_PASS_NOT_PROBE',
      });
      fixtures.push({
        name: `${mode} IPv${family}: an HTTP request to a routed backend, through the gateway's MAC`,
        entries: [{ port: 61003, mode, family, backend: ROUTED[v] }],
        input: buildPacket({ ...http, srcPort: 61003 }),
        action: 'TC_ACT_REDIRECT',
        output: tunnelled({ ...http, srcPort: 61003 }, mode, ROUTED[v], GATEWAY_MAC),
        outcome: mode === 'gue' ? 'HEALTH_CNT_GUE' : 'HEALTH_CNT_IPIP',
      });
    }
    fixtures.push({
      name: `dsr IPv${family}: a backend behind a gateway is not on-link: dropped, never sent to the VIP unsteered`,
      entries: [{ port: 61001, mode: 'dsr', family, backend: ROUTED[v] }],
      input: buildPacket(syn),
      action: 'TC_ACT_SHOT',
      outcome: 'HEALTH_CNT_DROP_NO_ROUTE',
    });
    fixtures.push({
      name: `IPv${family}: a port with no probe entry passes untouched`,
      entries: [{ port: 61001, mode: 'dsr', family, backend: ON_LINK[v] }],
      input: buildPacket(probe(family, 61009)),
      action: 'TC_ACT_OK',
      outcome: 'HEALTH_CNT_PASS_NOT_PROBE',
    });
    fixtures.push({
      name: `IPv${family}: a probe port's packet to another address passes untouched (not the probe's VIP)`,
      entries: [{ port: 61001, mode: 'gue', family, backend: ON_LINK[v] }],
      input: buildPacket(probe(family, 61001, { dst: family === 4 ? '198.18.0.7' : '2001:db8::7' })),
      action: 'TC_ACT_OK',
      outcome: 'HEALTH_CNT_PASS_NOT_PROBE',
    });
  }
  fixtures.push({
    name: 'a probe port to the VIP on another service port passes untouched',
    entries: [{ port: 61001, mode: 'ipip', family: 4, backend: ON_LINK.v4, vipPort: 443 }],
    input: buildPacket(probe(4, 61001)),
    action: 'TC_ACT_OK',
    outcome: 'HEALTH_CNT_PASS_NOT_PROBE',
  });
  fixtures.push({
    name: 'UDP from a probe port passes untouched (probes are TCP)',
    entries: [{ port: 61001, mode: 'dsr', family: 4, backend: ON_LINK.v4 }],
    input: buildPacket(probe(4, 61001, { protocol: 'udp', payload: 'x' })),
    action: 'TC_ACT_OK',
    outcome: 'HEALTH_CNT_PASS_NOT_PROBE',
  });
  fixtures.push({
    name: 'dsr: an on-link backend with no MAC yet goes to the kernel to resolve (bpf_redirect_neigh), frame as it came',
    entries: [{ port: 61001, mode: 'dsr', family: 4, backend: UNRESOLVED }],
    input: buildPacket(probe(4, 61001)),
    action: 'TC_ACT_REDIRECT',
    outcome: 'HEALTH_CNT_RESOLVING',
  });
  const big = probe(4, 61004, { tcpFlags: TCP.ACK | TCP.PSH, payload: Buffer.alloc(SMALL_PATH_MTU - 40 - 10, 0x61) });
  fixtures.push({
    name: `gue: a probe that fits the path's MTU ${SMALL_PATH_MTU} alone but not with the 28 outer bytes is dropped`,
    entries: [{ port: 61004, mode: 'gue', family: 4, backend: SMALL_MTU_ROUTED }],
    input: buildPacket(big),
    action: 'TC_ACT_SHOT',
    outcome: 'HEALTH_CNT_DROP_TOO_BIG',
  });
  fixtures.push({
    name: 'an entry in a mode the program does not steer (nat) drops the probe',
    entries: [{ port: 61001, mode: 'nat', family: 4, backend: ON_LINK.v4 }],
    input: buildPacket(probe(4, 61001)),
    action: 'TC_ACT_SHOT',
    outcome: 'HEALTH_CNT_DROP_BAD_ENTRY',
  });
  fixtures.push({
    name: 'ipip: no route to the backend drops the probe',
    entries: [{ port: 61001, mode: 'ipip', family: 4, backend: '203.0.113.9' }],
    input: buildPacket(probe(4, 61001)),
    action: 'TC_ACT_SHOT',
    outcome: 'HEALTH_CNT_DROP_NO_ROUTE',
  });
  return fixtures;
}
