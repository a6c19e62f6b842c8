/*
 * A SYN flood against established flows, through BPF_PROG_TEST_RUN (runs
 * inside the bench namespace, see run.ts). Per algorithm, on a fresh data
 * plane with `flows` flow-table entries:
 *   1. 1,000 clients open a connection each (SYN, the backend's SYN-ACK, ACK)
 *      and go idle;
 *   2. one flow table's worth of spoofed SYNs, each answered by its
 *      backend's SYN-ACK, as a backend answers a flood;
 *   3. for each of the 1,000: is its entry still in the flow table, does a
 *      mid-stream ACK reach its own backend, and does a packet from the
 *      backend (speaking first after the quiet) leave with the VIP's address.
 * Written to run against an older build too (then the half-open table is absent).
 * Prints one JSON object on stdout; progress on stderr.
 */
import { dataplaneConfigSchema, type Algorithm } from '@sluice/api';
import { loadDataplane } from '@sluice/dataplane';
import { interfaceIndex } from '@sluice/dataplane';
import { Reconciler } from '@sluice/agent/reconciler';
import { TCP, buildPacket, keyAddressBytes, type PacketSpec } from '@sluice/dataplane/test-packets';
import { BACKEND_FACING, CLIENT_FACING } from '../packet-cost/network.js';

interface Options {
  object: string;
  flows: number;
  algorithms: Algorithm[];
  established: number;
}

const options: Options = JSON.parse(process.argv[2]!);
const log = (message: string) => process.stderr.write(`[flood] ${message}\n`);

const VIP = '198.18.200.1';
const PORT = 80;
const BACKENDS = ['198.19.1.2', '198.19.2.2', '198.19.3.2'].map((address) => ({ address, port: 8080 }));
/* Offsets in an untagged IPv4 frame without options. */
const IP_SRC = 14 + 12;
const IP_DST = 14 + 16;
const L4 = 14 + 20;

const ipAt = (frame: Buffer, at: number) => `${frame[at]}.${frame[at + 1]}.${frame[at + 2]}.${frame[at + 3]}`;

/* Real clients: addresses with a neighbour entry in the bench namespace (198.18.1.0-63). */
const client = (i: number) => ({ address: `198.18.1.${i % 64}`, port: 20000 + i });
/* Spoofed sources: unique address and port per SYN, 198.18.128.0/17. */
const spoofed = (i: number) => ({ address: `198.18.${128 + ((i >> 14) & 127)}.${(i >> 6) & 255}`, port: 1024 + (i & 63) });

function measure(algorithm: Algorithm) {
  const dp = loadDataplane({ objectPath: options.object, maxEntries: { flows: options.flows } });
  try {
    const reconciler = new Reconciler(dp.maps, Reconciler.limitsOf(dp.maps, 1024));
    reconciler.apply(dataplaneConfigSchema.parse({ services: [{ address: VIP, port: PORT, protocol: 'tcp', algorithm, backends: BACKENDS }] }));
    const forward = interfaceIndex(CLIENT_FACING);
    const reply = interfaceIndex(BACKEND_FACING);
    const run = (spec: PacketSpec, ifindex: number) => dp.testRun({ data: buildPacket(spec), ingressIfindex: ifindex });
    const toVip = (c: { address: string; port: number }, tcpFlags: number): PacketSpec => ({
      src: c.address,
      dst: VIP,
      srcPort: c.port,
      dstPort: PORT,
      protocol: 'tcp',
      tcpFlags,
    });
    const fromBackend = (backend: string, c: { address: string; port: number }, tcpFlags: number, payload?: string): PacketSpec => ({
      src: backend,
      dst: c.address,
      srcPort: 8080,
      dstPort: c.port,
      protocol: 'tcp',
      tcpFlags,
      ...(payload ? { payload } : {}),
    });

    /* 1. Established, idle connections. */
    const backendOf: string[] = [];
    for (let i = 0; i < options.established; i++) {
      const c = client(i);
      const syn = run(toVip(c, TCP.SYN), forward);
      const backend = ipAt(syn.data, IP_DST);
      backendOf.push(backend);
      run(fromBackend(backend, c, TCP.SYN | TCP.ACK), reply);
      run(toVip(c, TCP.ACK), forward);
    }

    /* 2. The flood: one flow table's worth of spoofed SYNs and their SYN-ACKs. */
    const started = process.hrtime.bigint();
    let floodSyns = 0;
    for (let i = 0; i < options.flows; i++) {
      const s = spoofed(i);
      const syn = run(toVip(s, TCP.SYN), forward);
      floodSyns++;
      run(fromBackend(ipAt(syn.data, IP_DST), s, TCP.SYN | TCP.ACK), reply);
      if ((i & 0x3ffff) === 0x3ffff) log(`${algorithm}: ${i + 1} spoofed SYNs`);
    }
    const floodSeconds = Number(process.hrtime.bigint() - started) / 1e9;

    /* 3. What is left of the 1,000. */
    let kept = 0;
    let sameBackend = 0;
    let repliesFromVip = 0;
    for (let i = 0; i < options.established; i++) {
      const c = client(i);
      const key = {
        src: keyAddressBytes(c.address),
        dst: keyAddressBytes(VIP),
        src_port: c.port,
        dst_port: PORT,
        protocol: 6,
        family: 4,
      };
      if (dp.maps.flows.lookup(key as never)) kept++;
    }
    for (let i = 0; i < options.established; i++) {
      const c = client(i);
      /* The backend speaks first after the quiet (a server push, a keepalive). */
      const out = run(fromBackend(backendOf[i]!, c, TCP.ACK | TCP.PSH, 'push'), reply);
      if (ipAt(out.data, IP_SRC) === VIP && out.data.readUInt16BE(L4) === PORT) repliesFromVip++;
    }
    for (let i = 0; i < options.established; i++) {
      const out = run(toVip(client(i), TCP.ACK | TCP.PSH), forward);
      if (ipAt(out.data, IP_DST) === backendOf[i]) sameBackend++;
    }
    const halfOpen = (dp.maps as { halfOpenFlows?: { maxEntries: number } }).halfOpenFlows;
    const result = {
      algorithm,
      flowTableEntries: dp.maps.flows.maxEntries,
      halfOpenTableEntries: halfOpen?.maxEntries ?? null,
      established: options.established,
      floodSyns,
      floodSeconds: Math.round(floodSeconds * 10) / 10,
      keptEntry: kept,
      midStreamAckSameBackend: sameBackend,
      backendFirstRepliesFromVip: repliesFromVip,
    };
    log(JSON.stringify(result));
    return result;
  } finally {
    dp.close();
  }
}

const results = options.algorithms.map(measure);
process.stdout.write(`${JSON.stringify(results)}\n`);
