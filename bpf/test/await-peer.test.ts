// A flow the sync peer may have started a moment ago (await_peer.h): with
// flow events on, a mid-stream TCP packet that finds no flow, for a service
// that cannot steer it by its hash alone, is dropped for AWAIT_PEER_FLOW_NS
// from its flow's first miss, and goes to the backend of the flow the peer's
// event brings, not to the one a guess would pick. A consistent hash, an
// opening SYN and a node without a peer are steered at once, as before.
// Runs inside the namespace of fixture-network.sh (scripts/run-tests.sh bpf).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AWAIT_PEER_FLOW_NS, type Dataplane, SluiceCounter, interfaceIndex, loadDataplane } from '@sluice/dataplane';
import { Reconciler } from '@sluice/agent/reconciler';
import { type PacketSpec, buildPacket, flowKeyOf } from '@sluice/dataplane/test-packets';
import { FIXTURE_MAP_SIZES, OBJECT_PATH } from './support/dataplane.ts';
import { forwardedTo } from './support/expect.ts';
import { TCP, toVip } from './support/flows.ts';
import { CLIENT_FACING } from './support/network.ts';
import { CLIENT, SERVICES, type ServiceFixture, configOf } from './support/services.ts';
import { ChoiceModel } from './support/model.ts';

const services = { roundRobin: SERVICES.roundRobin, leastConnections: SERVICES.leastConnections, maglev: SERVICES.maglev };
const HOLD_MS = AWAIT_PEER_FLOW_NS / 1_000_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let withPeer: Dataplane;
let alone: Dataplane;
before(() => {
  withPeer = loadDataplane({ objectPath: OBJECT_PATH, maxEntries: FIXTURE_MAP_SIZES, tunables: { flow_events_on: 1n } });
  alone = loadDataplane({ objectPath: OBJECT_PATH, maxEntries: FIXTURE_MAP_SIZES });
  for (const d of [withPeer, alone]) new Reconciler(d.maps, Reconciler.limitsOf(d.maps, 1024)).apply(configOf(services));
});
after(() => {
  withPeer?.close();
  alone?.close();
});

const midStream = (service: ServiceFixture, clientPort: number, seq = 7000): PacketSpec =>
  toVip(service, CLIENT, clientPort, { tcpFlags: TCP.ACK | TCP.PSH, tcpSeq: seq, payload: Buffer.from('GET / HTTP/1.1\r\n\r\n') });
const run = (d: Dataplane, spec: PacketSpec) => d.testRun({ data: buildPacket(spec), ingressIfindex: interfaceIndex(CLIENT_FACING.name) });
const awaiting = (d: Dataplane) => d.maps.globalCounters.lookupSum(SluiceCounter.CNT_DROP_AWAITING_PEER) ?? 0n;
const isTracked = (d: Dataplane, spec: PacketSpec) => !!(d.maps.flows.lookup(flowKeyOf(spec)) ?? d.maps.halfOpenFlows.lookup(flowKeyOf(spec)));

/* A flow entry as the peer's event writes it (the receiver copies the peer's flow): one made here by a handshake, moved to `spec`'s key on `backendId`. */
function peersFlow(d: Dataplane, service: ServiceFixture, spec: PacketSpec, backendId: number): void {
  const donor = toVip(service, CLIENT, 42_999, { tcpFlags: TCP.SYN, tcpSeq: 100 });
  run(d, donor);
  run(d, { ...donor, tcpFlags: TCP.ACK, tcpSeq: 101 });
  const value = d.maps.flows.lookup(flowKeyOf(donor));
  assert.ok(value, 'the donor handshake made a flow');
  d.maps.flows.delete(flowKeyOf(donor));
  d.maps.flows.update(flowKeyOf(spec), { ...value, backend_id: backendId });
}

for (const name of ['roundRobin', 'leastConnections'] as const)
  test(`${name}, with a sync peer: a mid-stream packet without a flow is dropped until the peer's flow comes, then goes to that flow's backend, not the guess`, () => {
    const service = services[name];
    const spec = midStream(service, name === 'roundRobin' ? 43_001 : 43_101);
    const model = new ChoiceModel(withPeer.maps);
    const guess = model.expectedBackend(service, spec);
    const before = awaiting(withPeer);

    assert.equal(run(withPeer, spec).actionName, 'XDP_DROP');
    assert.equal(run(withPeer, { ...spec, tcpSeq: 7018 }).actionName, 'XDP_DROP', 'a second miss within the hold waits too');
    assert.equal(awaiting(withPeer) - before, 2n);
    assert.equal(isTracked(withPeer, spec), false, 'nothing was steered or recorded while waiting');
    assert.ok(withPeer.maps.awaitedFlows.lookup(flowKeyOf(spec)), 'the first miss is recorded');

    const peers = service.backends.find((b) => b.address !== guess.address)!;
    peersFlow(withPeer, service, spec, model.backendId(service, peers));
    const retransmitted = run(withPeer, spec);
    const expected = forwardedTo(spec, peers);
    assert.equal(retransmitted.actionName, expected.action);
    assert.deepEqual(retransmitted.data, expected.frame, "byte for byte to the peer's backend, not the guess");
    assert.equal(awaiting(withPeer) - before, 2n);
  });

test('with a sync peer: a flow no node knows waits only AWAIT_PEER_FLOW_NS from its first miss, then is steered as without a peer', async () => {
  const service = services.roundRobin;
  const spec = midStream(service, 43_201);
  const before = awaiting(withPeer);
  assert.equal(run(withPeer, spec).actionName, 'XDP_DROP');
  /* The program's clock is coarse (a jiffy, up to 4 ms): a margin past the hold. */
  await sleep(HOLD_MS + 30);
  const steered = run(withPeer, spec);
  assert.notEqual(steered.actionName, 'XDP_DROP', `not steered ${HOLD_MS + 30} ms after the first miss`);
  assert.equal(awaiting(withPeer) - before, 1n);
  assert.equal(isTracked(withPeer, spec), true);
  assert.deepEqual(new ChoiceModel(withPeer.maps).flowBackend(spec), new ChoiceModel(withPeer.maps).expectedBackend(service, spec));
});

test('with a sync peer: a consistent hash (maglev) and an opening SYN are steered at once, never held', () => {
  const before = awaiting(withPeer);
  const maglev = midStream(services.maglev, 43_301);
  assert.notEqual(run(withPeer, maglev).actionName, 'XDP_DROP');
  assert.deepEqual(new ChoiceModel(withPeer.maps).flowBackend(maglev), new ChoiceModel(withPeer.maps).expectedBackend(services.maglev, maglev));
  const syn = toVip(services.roundRobin, CLIENT, 43_302, { tcpFlags: TCP.SYN, tcpSeq: 1 });
  assert.notEqual(run(withPeer, syn).actionName, 'XDP_DROP');
  assert.equal(isTracked(withPeer, syn), true);
  assert.equal(awaiting(withPeer) - before, 0n);
});

test('without a sync peer (flow events off): a mid-stream packet without a flow is steered at once, as an evicted flow', () => {
  const spec = midStream(services.roundRobin, 43_401);
  assert.notEqual(run(alone, spec).actionName, 'XDP_DROP');
  assert.equal(isTracked(alone, spec), true);
  assert.equal(awaiting(alone), 0n);
});
