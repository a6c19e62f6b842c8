// 100,000 random and mutated packets through the program, to services in
// every forwarding mode. Properties: never XDP_ABORTED; a packet neither to a
// VIP nor on a tracked reply flow is never changed; valid checksums stay
// valid (inside a tunnel, and in an ICMP too-big answer); the counters add up.
// Then as many through the backend decapsulation program, both entry points:
// it never aborts, and every frame comes out either as it went in or as a
// valid strip of a tunnel to one of the host's addresses.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Dataplane, SluiceCounter, SluiceDecapCounter, loadDataplane, loadDecap } from '@sluice/dataplane';
import { keyAddressBytes } from '@sluice/dataplane/test-packets';
import { HOST } from './decap/fixtures.ts';
import { fuzzTunnelFrame } from './support/fuzz-tunnels.ts';
import { interfaceIndex } from '@sluice/dataplane';
import { Reconciler } from '@sluice/agent/reconciler';
import { vipKeyOf } from '@sluice/agent/map-entries';
import { DECAP_OBJECT_PATH, FIXTURE_MAP_SIZES, OBJECT_PATH } from './support/dataplane.ts';
import { fuzzFrame } from './support/fuzz-packets.ts';
import { type InspectedFrame, inspectFrame } from './support/inspect.ts';
import { BACKEND_FACING, CLIENT_FACING } from './support/network.ts';
import { Random } from './support/random.ts';
import { ALL_SERVICES, configOf } from './support/services.ts';
import { writeModes, writeTunnelSettings } from './support/modes.ts';
import { inspectOutput } from './support/inspect-output.ts';
import { tcCanRun } from './support/tc-run.ts';

const PACKETS = Number(process.env.SLUICE_FUZZ_PACKETS ?? 100_000);
const SEED = Number(process.env.SLUICE_FUZZ_SEED ?? Date.now() % 2 ** 31);

let dataplane: Dataplane;
before(() => {
  dataplane = loadDataplane({ objectPath: OBJECT_PATH, maxEntries: FIXTURE_MAP_SIZES });
  new Reconciler(dataplane.maps, Reconciler.limitsOf(dataplane.maps, 1024)).apply(configOf(ALL_SERVICES));
  writeModes(dataplane.maps, ALL_SERVICES);
  writeTunnelSettings(dataplane.maps);
});
after(() => dataplane?.close());

function addressKey(bytes: Buffer): Buffer {
  const key = Buffer.alloc(16);
  bytes.copy(key);
  return key;
}

function isVip(packet: InspectedFrame): boolean {
  const key = vipKeyOf('0.0.0.0');
  return dataplane.maps.vips.lookup({ ...key, addr: addressKey(packet.dst), family: packet.family }) !== undefined;
}

/* A reply of a tracked flow: from a backend endpoint to a client whose flow (or half-open flow) is on that backend. */
function isTrackedReply(packet: InspectedFrame): boolean {
  const owners = dataplane.maps.backendEndpoints.lookup({
    addr: addressKey(packet.src),
    port: packet.srcPort,
    protocol: packet.protocol,
    family: packet.family,
  });
  for (let i = 0; owners && i < owners.count; i++) {
    const vip = dataplane.maps.serviceVips.lookup(owners.service_ids[i]!);
    if (!vip || vip.family !== packet.family) continue;
    const key = {
      src: addressKey(packet.dst),
      dst: vip.addr,
      src_port: packet.dstPort,
      dst_port: vip.port,
      protocol: packet.protocol,
      family: packet.family,
    };
    /* A TCP flow still in its handshake lives in the half-open table; replies find it there too. */
    const flows = [dataplane.maps.flows.lookup(key), dataplane.maps.halfOpenFlows.lookup(key)];
    if (flows.some((flow) => flow?.backend_id === owners.backend_ids[i])) return true;
  }
  return false;
}

test(`fuzz: ${PACKETS} random and mutated packets (seed ${SEED})`, () => {
  const random = new Random(SEED);
  const ingress = [interfaceIndex(CLIENT_FACING.name), interfaceIndex(BACKEND_FACING.name)];
  const tally = { changed: 0, validIn: 0, parsed: 0, tunnelled: 0, icmp: 0 };

  for (let n = 0; n < PACKETS; n++) {
    const input = fuzzFrame(random);
    const packet = inspectFrame(input);
    /* Decide before the run: the run itself may create the flow. */
    const mayChange = packet !== null && (isVip(packet) || isTrackedReply(packet));
    const result = dataplane.testRun({ data: input, ingressIfindex: random.pick(ingress) });
    const context = `packet ${n} (seed ${SEED}): ${input.toString('hex')}`;

    assert.notEqual(result.actionName, 'XDP_ABORTED', context);
    if (packet) tally.parsed++;
    if (result.data.equals(input)) continue;
    tally.changed++;
    assert.ok(mayChange, `a packet for no service was changed: ${context}`);
    if (packet?.checksumsValid) {
      tally.validIn++;
      const output = inspectOutput(result.data);
      assert.ok(output?.checksumsValid, `checksums were valid in and are not out: ${context} -> ${result.data.toString('hex')}`);
      if (output.kind === 'tunnelled') tally.tunnelled++;
      if (output.kind === 'icmp') tally.icmp++;
    }
  }

  const counter = (name: keyof typeof SluiceCounter) => dataplane.maps.globalCounters.lookupSum(SluiceCounter[name]) ?? 0n;
  const actions =
    counter('CNT_ACTION_ABORTED') + counter('CNT_ACTION_DROP') + counter('CNT_ACTION_PASS') + counter('CNT_ACTION_TX') + counter('CNT_ACTION_REDIRECT');
  assert.equal(actions, BigInt(PACKETS), 'action counters add up to the packets sent');
  assert.equal(counter('CNT_ACTION_ABORTED'), 0n);
  assert.ok(tally.changed > PACKETS / 20, `enough packets were balanced to mean something (${tally.changed})`);
  assert.ok(tally.tunnelled > PACKETS / 100, `enough packets were tunnelled to mean something (${tally.tunnelled})`);
  assert.ok(tally.icmp > 0, 'some packets were too big once encapsulated and answered');
  console.log(
    `fuzz: ${PACKETS} packets, ${tally.parsed} well-formed TCP/UDP, ${tally.changed} rewritten (${tally.tunnelled} tunnelled, ${tally.icmp} answered too big), ${tally.validIn} of them checked for valid checksums`,
  );
});

const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;

/* Outer headers a strip may remove, by outer ethertype: IP alone (IPIP, IP6IP6), or IP and UDP (GUE). */
const STRIPPABLE: Record<number, number[]> = { [ETH_P_IP]: [20, 28], [ETH_P_IPV6]: [40, 48] };

/*
 * `output` is `input` with its outer IP (and UDP) header removed: the same
 * MACs, the Ethernet type of the inner packet's version, and the rest of the
 * input from the inner header on. Written from the tunnel formats, not from the program.
 */
function isValidStrip(input: Buffer, output: Buffer): boolean {
  if (input.length < 14 || output.length < 15 || !output.subarray(0, 12).equals(input.subarray(0, 12))) return false;
  const version = output[14]! >> 4;
  const type = output.readUInt16BE(12);
  if (!((type === ETH_P_IP && version === 4) || (type === ETH_P_IPV6 && version === 6))) return false;
  return (STRIPPABLE[input.readUInt16BE(12)] ?? []).some((outer) => output.subarray(14).equals(input.subarray(14 + outer)));
}

/* Is the frame's outer IP destination one of the host's tunnel addresses? */
function isToHost(input: Buffer, hostKeys: Set<string>): boolean {
  const type = input.length >= 14 ? input.readUInt16BE(12) : 0;
  if (type === ETH_P_IP && input.length >= 34) return hostKeys.has(`4 ${input.subarray(30, 34).toString('hex')}`);
  if (type === ETH_P_IPV6 && input.length >= 54) return hostKeys.has(`6 ${input.subarray(38, 54).toString('hex')}`);
  return false;
}

test(`fuzz decap: ${PACKETS} random and mutated frames through XDP and TC (seed ${SEED})`, () => {
  const decap = loadDecap({ objectPath: DECAP_OBJECT_PATH });
  try {
    const hosts = [
      { address: HOST.v4, family: 4 },
      { address: HOST.v4Second, family: 4 },
      { address: HOST.v6, family: 6 },
    ];
    for (const host of hosts) decap.maps.addresses.update({ addr: keyAddressBytes(host.address), family: host.family }, 1);
    decap.maps.settings.update(0, { gue_port: HOST.guePort });
    const hostKeys = new Set(
      hosts.map(
        (h) =>
          `${h.family} ${keyAddressBytes(h.address)
            .subarray(0, h.family === 4 ? 4 : 16)
            .toString('hex')}`,
      ),
    );
    const random = new Random(SEED);
    const tally = { runs: 0, stripped: 0, dropped: 0, tcNotRun: 0 };

    for (let n = 0; n < PACKETS; n++) {
      const input = fuzzTunnelFrame(random);
      const context = `frame ${n} (seed ${SEED}): ${input.toString('hex')}`;
      const runs = [{ entry: 'xdp', run: decap.testRunXdp({ data: input }), pass: 'XDP_PASS', drop: 'XDP_DROP' }];
      if (tcCanRun(input)) runs.push({ entry: 'tc', run: decap.testRunTc({ data: input }), pass: 'TC_ACT_OK', drop: 'TC_ACT_SHOT' });
      else tally.tcNotRun++;
      for (const { entry, run, pass, drop } of runs) {
        tally.runs++;
        assert.ok(run.actionName === pass || run.actionName === drop, `${entry}: ${run.actionName}: ${context}`);
        if (run.actionName === drop) tally.dropped++;
        if (run.data.equals(input)) continue;
        assert.equal(run.actionName, pass, `${entry}: a dropped frame was changed: ${context}`);
        assert.ok(isValidStrip(input, run.data), `${entry}: neither the input nor a valid strip: ${context} -> ${run.data.toString('hex')}`);
        assert.ok(isToHost(input, hostKeys), `${entry}: a tunnel to another host was stripped: ${context}`);
        tally.stripped++;
      }
    }

    const counted = Object.entries(SluiceDecapCounter)
      .filter(([name]) => name !== 'DECAP_CNT_MAX')
      .reduce((sum, [, slot]) => sum + (decap.maps.counters.lookupSum(slot) ?? 0n), 0n);
    assert.equal(counted, BigInt(tally.runs), 'the outcome counters add up to every run');
    assert.ok(tally.stripped > tally.runs / 10, `enough frames were stripped to mean something (${tally.stripped})`);
    assert.ok(tally.dropped > 0, 'some frames were dropped (truncated or foreign inner headers)');
    console.log(
      `fuzz decap: ${PACKETS} frames, ${tally.runs} runs (${tally.tcNotRun} too short for a TC test run), ${tally.stripped} valid strips, ${tally.dropped} drops`,
    );
  } finally {
    decap.close();
  }
});
