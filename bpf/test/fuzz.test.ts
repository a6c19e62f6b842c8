// 100,000 random and mutated packets through the program, to services in
// every forwarding mode. Properties: never XDP_ABORTED; a packet neither to a
// VIP nor on a tracked reply flow is never changed; valid checksums stay
// valid (inside a tunnel, and in an ICMP too-big answer); the counters add up.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Dataplane, SluiceCounter, loadDataplane } from '@sluice/dataplane';
import { interfaceIndex } from '@sluice/dataplane';
import { Reconciler } from '@sluice/agent/reconciler';
import { vipKeyOf } from '@sluice/agent/map-entries';
import { FIXTURE_MAP_SIZES, OBJECT_PATH } from './support/dataplane.ts';
import { fuzzFrame } from './support/fuzz-packets.ts';
import { type InspectedFrame, inspectFrame } from './support/inspect.ts';
import { BACKEND_FACING, CLIENT_FACING } from './support/network.ts';
import { Random } from './support/random.ts';
import { ALL_SERVICES, configOf } from './support/services.ts';
import { writeModes, writeTunnelSettings } from './support/modes.ts';
import { inspectOutput } from './support/inspect-output.ts';

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
