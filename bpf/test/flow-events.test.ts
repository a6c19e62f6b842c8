// The flow_events ring (flow sync, issue 13): a flow's SYN, its handshake's
// ACK and a re-steer each write one struct flow_event, byte for byte as the
// expectations below build it by hand (flow_key in network order, then six
// host-order u32); an established packet writes none.
// Runs inside the namespace of fixture-network.sh (scripts/run-tests.sh bpf).
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { endianness } from 'node:os';
import { isIPv4 } from 'node:net';
import { after, before, test } from 'node:test';
import { type Dataplane, FLOW_EVENT_SIZE, FlowEventReader, SluiceCounter, interfaceIndex, loadDataplane } from '@sluice/dataplane';
import { Reconciler } from '@sluice/agent/reconciler';
import { buildPacket, flowKeyOf } from '@sluice/dataplane/test-packets';
import { FIXTURE_MAP_SIZES, OBJECT_PATH } from './support/dataplane.ts';
import { TCP, toVip } from './support/flows.ts';
import { CLIENT_FACING } from './support/network.ts';
import { CLIENT, SERVICES, configOf } from './support/services.ts';
import { ChoiceModel } from './support/model.ts';
import { serviceKeyOf } from '@sluice/agent/map-entries';

const services = { roundRobin: SERVICES.roundRobin };
const service = services.roundRobin;
const CLIENT_PORT = 41000;

let dataplane: Dataplane;
let reader: FlowEventReader;
before(() => {
  dataplane = loadDataplane({ objectPath: OBJECT_PATH, maxEntries: FIXTURE_MAP_SIZES, tunables: { flow_events_on: 1n } });
  new Reconciler(dataplane.maps, Reconciler.limitsOf(dataplane.maps, 1024)).apply(configOf(services));
  reader = new FlowEventReader(dataplane.flowEventsFd());
});
after(() => {
  reader?.close();
  dataplane?.close();
});

/* IPv4 dotted quad into 16 bytes (addr[0], rest zero), network order. */
function addr16(address: string): Buffer {
  assert.ok(isIPv4(address));
  const out = Buffer.alloc(16);
  address.split('.').forEach((octet, i) => {
    out[i] = Number(octet);
  });
  return out;
}

/* struct flow_event as the C header lays it out, built without the generated layout. */
function expectedEvent(fields: { backendId: number; serviceId: number; tcpState: number; flags: number; kind: number }): Buffer {
  const out = Buffer.alloc(64);
  addr16(CLIENT).copy(out, 0);
  addr16(service.address).copy(out, 16);
  out.writeUInt16BE(CLIENT_PORT, 32);
  out.writeUInt16BE(service.port, 34);
  out[36] = 6; // IPPROTO_TCP
  out[37] = 4; // FAMILY_IPV4
  const put = endianness() === 'LE' ? out.writeUInt32LE.bind(out) : out.writeUInt32BE.bind(out);
  [fields.backendId, fields.serviceId, fields.tcpState, fields.flags, fields.kind, 0].forEach((v, i) => put(v, 40 + 4 * i));
  return out;
}

/* The raw record bytes of each event, re-encoded from what the reader decoded. */
function rawOf(event: ReturnType<FlowEventReader['drain']>[number]): Buffer {
  const out = Buffer.alloc(FLOW_EVENT_SIZE);
  event.key.copy(out, 0);
  const put = endianness() === 'LE' ? out.writeUInt32LE.bind(out) : out.writeUInt32BE.bind(out);
  [event.backend_id, event.service_id, event.tcp_state, event.flags, event.kind, 0].forEach((v, i) => put(v, 40 + 4 * i));
  return out;
}

test('flow events off (the default, a node without a sync peer): a new flow writes none and loses none', () => {
  const off = loadDataplane({ objectPath: OBJECT_PATH, maxEntries: FIXTURE_MAP_SIZES });
  const offReader = new FlowEventReader(off.flowEventsFd());
  try {
    new Reconciler(off.maps, Reconciler.limitsOf(off.maps, 1024)).apply(configOf(services));
    const result = off.testRun({
      data: buildPacket(toVip(service, CLIENT, CLIENT_PORT, { tcpFlags: TCP.SYN })),
      ingressIfindex: interfaceIndex(CLIENT_FACING.name),
    });
    assert.notEqual(result.actionName, 'XDP_DROP');
    assert.ok(off.maps.halfOpenFlows.lookup(flowKeyOf(toVip(service, CLIENT, CLIENT_PORT))), 'the flow was recorded');
    assert.deepEqual(offReader.drain(), []);
    assert.equal(off.maps.globalCounters.lookupSum(SluiceCounter.CNT_FLOW_EVENT_LOST) ?? 0n, 0n);
  } finally {
    offReader.close();
    off.close();
  }
});

test('flow events: SYN -> NEW (syn-sent), ACK -> ESTABLISHED, data -> none, SYN on a closed flow -> RESTEERED', () => {
  const ingressIfindex = interfaceIndex(CLIENT_FACING.name);
  const run = (flags: number, seq = 1000) =>
    dataplane.testRun({ data: buildPacket(toVip(service, CLIENT, CLIENT_PORT, { tcpFlags: flags, tcpSeq: seq })), ingressIfindex });
  const model = new ChoiceModel(dataplane.maps);
  const serviceId = dataplane.maps.services.lookup(serviceKeyOf(service))!.id;
  assert.equal(FLOW_EVENT_SIZE, 64);
  assert.deepEqual(reader.drain(), [], 'the ring starts empty');

  const firstBackend = model.backendId(service, model.expectedBackend(service, toVip(service, CLIENT, CLIENT_PORT, { tcpFlags: TCP.SYN })));
  run(TCP.SYN);
  const syn = reader.drain().map(rawOf);
  /* flags: FLOW_F_SYN_SEQ (1 << 2), mode nat (0 << 3). */
  assert.deepEqual(syn, [expectedEvent({ backendId: firstBackend, serviceId, tcpState: 1, flags: 4, kind: 0 })]);

  run(TCP.ACK, 1001);
  assert.deepEqual(reader.drain().map(rawOf), [expectedEvent({ backendId: firstBackend, serviceId, tcpState: 2, flags: 4, kind: 1 })]);

  for (let k = 0; k < 5; k++) run(TCP.ACK | TCP.PSH, 1001 + k);
  assert.deepEqual(reader.drain(), [], 'established packets write no event');

  run(TCP.RST, 1010);
  assert.deepEqual(reader.drain(), [], "a reset ends the flow in place: its end is the sweep's to tell");
  const secondBackend = model.backendId(service, model.expectedBackend(service, toVip(service, CLIENT, CLIENT_PORT, { tcpFlags: TCP.SYN, tcpSeq: 5000 })));
  run(TCP.SYN, 5000);
  assert.deepEqual(reader.drain().map(rawOf), [expectedEvent({ backendId: secondBackend, serviceId, tcpState: 1, flags: 4, kind: 2 })]);
  assert.notEqual(secondBackend, firstBackend, 'round robin took its next turn');
  assert.equal(dataplane.maps.globalCounters.lookupSum(SluiceCounter.CNT_FLOW_EVENT_LOST) ?? 0n, 0n);
  assert.equal(reader.malformed, 0);
});

const WAIT_MS = 10_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("the reader's wait: false after its timeout on an empty ring; a new flow wakes a reader asleep in it (the program wakes it, no timer)", async () => {
  const ingressIfindex = interfaceIndex(CLIENT_FACING.name);
  reader.drain();
  assert.equal(await reader.wait(20), false, 'an empty ring: the timeout ends the wait');

  const started = performance.now();
  const woken = reader.wait(WAIT_MS);
  /* Well past the worker thread's start, so the wait is asleep in ppoll when the event is written. */
  await sleep(100);
  dataplane.testRun({ data: buildPacket(toVip(service, CLIENT, CLIENT_PORT + 1, { tcpFlags: TCP.SYN })), ingressIfindex });
  assert.equal(await woken, true);
  const after = performance.now() - started;
  /* Without the program's wakeup the wait would last its whole WAIT_MS (the event was written while it slept). */
  assert.ok(after < WAIT_MS / 2, `woken after ${Math.round(after)} ms`);
  assert.equal(reader.drain().length, 1);

  /* Events not yet drained: the wait ends at once, woken or not. */
  dataplane.testRun({ data: buildPacket(toVip(service, CLIENT, CLIENT_PORT + 2, { tcpFlags: TCP.SYN })), ingressIfindex });
  assert.equal(await reader.wait(WAIT_MS), true);
  assert.equal(reader.drain().length, 1);
});

test("the reader's wait: one at a time; close() ends a pending one at once (false) and a closed reader's wait is false", async () => {
  const second = new FlowEventReader(dataplane.flowEventsFd());
  const started = performance.now();
  const pending = second.wait(WAIT_MS);
  await assert.rejects(second.wait(WAIT_MS), /a wait is already pending/);
  await sleep(50);
  second.close();
  assert.equal(await pending, false);
  assert.ok(performance.now() - started < WAIT_MS / 2, 'close() woke the wait');
  assert.equal(await second.wait(WAIT_MS), false);
});

test('a reader on a descriptor that is no ring is an error, and leaves no descriptor open behind it', () => {
  const openFds = () => readdirSync('/proc/self/fd').length;
  const before = openFds();
  assert.throws(
    () => new FlowEventReader(dataplane.maps.flows.fd),
    (err: unknown) => err instanceof Error && err.message.startsWith('ring_buffer__new(map "flow_events")'),
  );
  assert.equal(openFds(), before, 'the eventfd made before the ring was closed again');
});
