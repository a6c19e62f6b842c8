/*
 * Flow sync between two real data planes (maps only, nothing attached) over
 * loopback TCP: node A's program records flows (BPF_PROG_TEST_RUN), A's
 * FlowSync streams them, node B's writes them into its own tables under its
 * own ids (B numbers the same backends in another order). Then the
 * refusals: a frame under another key, a replayed frame, a frame out of
 * sequence, none of which changes B's table; and the takeover verdict.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { type AddressInfo, type Socket, connect, createServer } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import { after, before, test } from 'node:test';
import { type Dataplane, FlowEventReader, bytesToAddress, encode, flowKeyLayout } from '@sluice/dataplane';
import { TCP, buildPacket, flowKeyOf } from '@sluice/dataplane/test-packets';
import { FlowSync } from '../../src/sync/flow-sync.js';
import { SPLIT_CONFIRM_MS } from '../../src/sync/split-brain.js';
import { BackendNames } from '../../src/sync/backend-names.js';
import { PEER_DEAD_MS, SyncSender } from '../../src/sync/sender.js';
import { CHALLENGE_BYTES, FrameSplitter, FrameType, RecordKind, encodeFlows, encodeFrame, helloFrame, readHello } from '../../src/sync/wire.js';
import { type DataplaneConfig, dataplaneConfigSchema } from '@sluice/api';
import { loadDataplane } from '@sluice/dataplane';
import { SMALL_MAPS, objectPath } from '@sluice/dataplane/test-helpers';
import { Reconciler } from '../../src/reconcile/reconciler.js';
import { SERVICE, STATE } from '../conntrack/helpers.ts';

const CLIENT = '198.18.0.2';
const KEY = Buffer.from('k'.repeat(40));
const WRONG_KEY = Buffer.from('w'.repeat(40));
/* Three ports per tag (A, B, and C of the refresh test), so that two checkouts' runs never share a listener. */
const BASE_PORT =
  47_000 +
  (createHash('sha256')
    .update(process.env.SLUICE_TEST_TAG ?? '')
    .digest()
    .readUInt16BE(0) %
    500) *
    3;
const A_PORT = BASE_PORT;
const B_PORT = BASE_PORT + 1;
const LOOPBACK = '127.0.0.1';

interface Node {
  dp: Dataplane;
  reconciler: Reconciler;
  reader: FlowEventReader;
  sync: FlowSync;
}
let a: Node;
let b: Node;
const logs: string[] = [];
/* When each node (by its listen port) took the VIPs; absent: it holds none. */
const heldSince = new Map<number, number>();
/* A (the first port) reports itself master, B backup: each shows the other's role (sync.peerRole). */
const claimOf = (port: number) => {
  const since = heldSince.get(port);
  const role = port === A_PORT ? ('master' as const) : ('backup' as const);
  return since === undefined ? { holds: false, heldForMs: 0, role } : { holds: true, heldForMs: Date.now() - since, role };
};

/* What each node told its yield file (onYielding), changes only: keepalived's track_file sees these. */
const yieldWrites = new Map<number, boolean[]>();
const noteYielding = (port: number) => (yielding: boolean) => {
  const writes = yieldWrites.get(port) ?? [];
  if (writes.at(-1) !== yielding) writes.push(yielding);
  yieldWrites.set(port, writes);
};

async function startNode(
  backends: readonly { address: string; port: number }[],
  listen: number,
  peer: number,
  master: boolean,
  refreshIntervalMs?: number,
): Promise<Node> {
  /* flow_events_on: the program writes the events a sync peer needs (the agent sets it with its sync settings). */
  const dp = loadDataplane({ objectPath: objectPath(), maxEntries: { ...SMALL_MAPS, flows: 65536 }, tunables: { flow_events_on: 1n } });
  const reconciler = new Reconciler(dp.maps, Reconciler.limitsOf(dp.maps, 1024));
  reconciler.apply(dataplaneConfigSchema.parse({ services: [{ ...SERVICE, backends }] }) as DataplaneConfig);
  const reader = new FlowEventReader(dp.flowEventsFd());
  const sync = await startSync({ dp, reconciler, reader }, listen, peer, master, refreshIntervalMs);
  return { dp, reconciler, reader, sync };
}

function startSync(node: Omit<Node, 'sync'>, listen: number, peer: number, master: boolean, refreshIntervalMs?: number): Promise<FlowSync> {
  return FlowSync.start({
    listen: { address: LOOPBACK, port: listen },
    peer: { address: LOOPBACK, port: peer },
    key: KEY,
    maps: node.dp.maps,
    placement: () => node.reconciler.ids(),
    events: node.reader,
    isMaster: () => master,
    vipClaim: () => claimOf(listen),
    onYielding: noteYielding(listen),
    log: (level, message) => logs.push(`${level} ${message}`),
    ...(refreshIntervalMs ? { refreshIntervalMs } : {}),
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 3_000): Promise<T> {
  const started = performance.now();
  for (;;) {
    const value = probe();
    if (value) return value;
    if (performance.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms\n${logs.join('\n')}`);
    await sleep(5);
  }
}

/* The client's TCP packets to the service from `port`, and the key their flow goes under. */
const specOf = (port: number, tcpFlags?: number) => ({
  src: CLIENT,
  dst: SERVICE.address,
  srcPort: port,
  dstPort: SERVICE.port,
  protocol: 'tcp' as const,
  tcpFlags,
});
const keyOf = (port: number) => flowKeyOf(specOf(port));

function packet(node: Node, port: number, tcpFlags: number): void {
  node.dp.testRun({ data: buildPacket(specOf(port, tcpFlags)) });
}

/** The backend endpoint a node's tables send `port`'s flow to, and its state. */
function flowOn(node: Node, port: number): { backend: string; state: number; table: string } | undefined {
  for (const table of ['flows', 'halfOpenFlows'] as const) {
    const value = node.dp.maps[table].lookup(keyOf(port));
    if (!value) continue;
    const backend = node.dp.maps.backends.lookup(value.backend_id)!;
    assert.equal(backend.service_id, value.service_id, 'the synced entry names a backend of its own service');
    return { backend: `${bytesToAddress(backend.family, backend.addr)}:${backend.port}`, state: value.tcp_state, table };
  }
  return undefined;
}

before(async () => {
  /* A flow on A before B listens: the resync must carry it. */
  a = await startNode(SERVICE.backends, A_PORT, B_PORT, true);
  packet(a, 30_000, TCP.SYN);
  packet(a, 30_000, TCP.ACK);
  b = await startNode([...SERVICE.backends].reverse(), B_PORT, A_PORT, false);
});

after(() => {
  for (const node of [a, b]) {
    node?.sync.stop();
    node?.reader.close();
    node?.dp.close();
  }
});

test('the two nodes number the backends differently: records go by name', () => {
  const idsA = [...a.reconciler.ids().values()][0]!.backends;
  const idsB = [...b.reconciler.ids().values()][0]!.backends;
  const endpoint = `${SERVICE.backends[0].address}:${SERVICE.backends[0].port}`;
  assert.notEqual(idsA.get(endpoint), idsB.get(endpoint));
});

test('resync: the flow A had before B came up is in B, on the same backend, and B reports in-sync', async () => {
  await until('B in sync', () => b.sync.state() === 'in-sync');
  const onA = flowOn(a, 30_000)!;
  const onB = await until('the flow on B', () => flowOn(b, 30_000));
  assert.deepEqual(onB, onA);
  assert.equal(onB.state, STATE.established);
  assert.equal(b.sync.checkReason(false), null, 'in sync: the backup may take over');
  await until("each shows the other's role", () => b.sync.status().peerRole === 'master' && a.sync.status().peerRole === 'backup');
});

test('deltas: new flows on A (SYN, then ACK) reach B within the bound; lag measured', async () => {
  for (let port = 31_000; port < 31_020; port++) packet(a, port, TCP.SYN);
  for (let port = 31_000; port < 31_020; port++) {
    const onB = await until(`half-open ${port} on B`, () => flowOn(b, port));
    assert.deepEqual(onB, flowOn(a, port));
    assert.equal(onB.table, 'halfOpenFlows');
  }
  for (let port = 31_000; port < 31_020; port++) packet(a, port, TCP.ACK);
  for (let port = 31_000; port < 31_020; port++) {
    await until(`established ${port} on B`, () => flowOn(b, port)?.table === 'flows');
    assert.deepEqual(flowOn(b, port), flowOn(a, port));
  }
  const lag = b.sync.status().lag;
  console.log(`# sync lag over ${lag.samples} batches: p50 ${lag.p50Ms} ms, p99 ${lag.p99Ms} ms, max ${lag.maxMs} ms`);
  assert.ok(lag.samples >= 2, JSON.stringify(lag));
  assert.ok(lag.maxMs! < 1_000, JSON.stringify(lag));
  assert.equal(b.sync.status().refused.total, 0);
});

/** A raw connection to B's listener: its HELLO challenge and a way to send bytes. */
async function rawPeer() {
  const socket = connect({ host: LOOPBACK, port: B_PORT });
  const splitter = new FrameSplitter();
  const challenge = await new Promise<Buffer>((resolve, reject) => {
    socket.once('error', reject);
    let greeted = false;
    socket.on('data', (chunk: Buffer) => {
      /* The HELLO first; ALIVE frames after an OPEN are not this test's subject. */
      const [hello] = splitter.push(chunk);
      if (hello && !greeted) {
        greeted = true;
        resolve(readHello(hello));
      }
    });
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, challenge, closed };
}

const forged = (port: number) =>
  encodeFlows([
    {
      key: Buffer.from([198, 18, 0, 2, ...new Array(12).fill(0), 198, 18, 100, 1, ...new Array(12).fill(0), port >> 8, port & 255, 0, 80, 6, 4, 0, 0]),
      name: `${[...b.reconciler.ids().keys()][0]!} ${SERVICE.backends[0].address}:${SERVICE.backends[0].port}`,
      kind: RecordKind.NEW,
      tcpState: STATE.established,
      flags: 0,
    },
  ]);

test('refused: a frame under another key, a replayed frame and a frame out of sequence change nothing and are counted', async () => {
  const before = b.sync.status().refused;
  assert.equal(before.total, 0);

  const wrong = await rawPeer();
  wrong.socket.write(encodeFrame(WRONG_KEY, wrong.challenge, { type: FrameType.FLOWS, seq: 1n, sentAtMs: Date.now(), body: forged(32_000) }));
  await wrong.closed;
  assert.equal(flowOn(b, 32_000), undefined, 'the forged flow is not in B');

  /* A frame valid on one connection, replayed on another: its MAC covers the first one's challenge. */
  const first = await rawPeer();
  const valid = encodeFrame(KEY, first.challenge, { type: FrameType.OPEN, seq: 1n, sentAtMs: Date.now(), body: randomBytes(CHALLENGE_BYTES) });
  first.socket.write(valid);
  await sleep(50);
  first.socket.destroy();
  const replay = await rawPeer();
  replay.socket.write(valid);
  await replay.closed;

  const skipped = await rawPeer();
  skipped.socket.write(encodeFrame(KEY, skipped.challenge, { type: FrameType.FLOWS, seq: 2n, sentAtMs: Date.now(), body: forged(32_001) }));
  await skipped.closed;
  assert.equal(flowOn(b, 32_001), undefined, 'the out-of-sequence flow is not in B');

  const refused = b.sync.status().refused;
  assert.deepEqual(refused.byReason, { 'bad-mac': 2, 'bad-sequence': 1, 'bad-frame': 0, 'bad-hello': 0 });
  assert.equal(refused.total, 3);
  assert.equal(refused.last?.reason, 'bad-sequence');
  assert.match(refused.last!.from, /^127\.0\.0\.1:\d+$/);
  /* A's stream went on meanwhile: B is still in sync with it. */
  assert.equal(b.sync.state(), 'in-sync');
});

test('verdict: a closed in-sync stream holds B back only once PEER_DEAD_MS shows A alive; A silent: peer-dead (may take over); A back: resync, in-sync', async () => {
  /* A's stream to B closes, A itself lives: it answers B's stream with ALIVE frames. */
  a.sync.sender.stop();
  await until('B sees the stream close', () => b.sync.state() !== 'in-sync');
  const closedAt = performance.now();
  assert.equal(b.sync.state(), 'syncing');
  assert.equal(b.sync.checkReason(false), null, 'moments after an in-sync stream closed, B is not held back (A may be dying)');
  const heldBack = await until('B is held back', () => b.sync.checkReason(false) ?? undefined, PEER_DEAD_MS + 2_000);
  const heldBackAfter = performance.now() - closedAt;
  assert.match(heldBack, /flow sync with the peer 127\.0\.0\.1:\d+ is not complete \(no stream from it is open\) and the peer is alive/);
  assert.ok(heldBackAfter >= PEER_DEAD_MS - 50, `held back ${heldBackAfter} ms after the close`);
  assert.equal(b.sync.state(), 'syncing', 'A still answers: not dead');
  assert.equal(b.sync.checkReason(true), null, 'a master is never held back');

  a.sync.stop();
  const stoppedAt = performance.now();
  await until('B calls A dead', () => b.sync.state() === 'peer-dead', PEER_DEAD_MS + 2_000);
  const deadAfter = performance.now() - stoppedAt;
  assert.ok(deadAfter >= PEER_DEAD_MS - 250, `peer-dead after ${deadAfter} ms`);
  assert.equal(b.sync.checkReason(false), null, 'peer dead: the backup may take over');

  /* A again, with a flow it recorded while the channel was down. */
  a.reader.close();
  packet(a, 33_000, TCP.SYN);
  packet(a, 33_000, TCP.ACK);
  a.reader = new FlowEventReader(a.dp.flowEventsFd());
  a.sync = await startSync(a, A_PORT, B_PORT, true);
  await until('B in sync again', () => b.sync.state() === 'in-sync');
  assert.deepEqual(flowOn(b, 33_000), flowOn(a, 33_000));
  assert.ok(b.sync.status().inbound.resyncs >= 2);
});

test('split brain: both hold the VIPs past the confirm window; the node that took them last yields (its check fails) until the peer gives them up', async () => {
  heldSince.set(A_PORT, Date.now() - 10_000);
  heldSince.set(B_PORT, Date.now());
  const overlapFrom = performance.now();
  await until('B yields', () => b.sync.status().splitBrain.yielding, SPLIT_CONFIRM_MS + 2_000);
  const seenAfter = performance.now() - overlapFrom;
  assert.equal(yieldWrites.get(B_PORT)?.at(-1), true, 'B tells its yield file in the same judgement');
  assert.ok(seenAfter >= SPLIT_CONFIRM_MS - 50, `a split was judged after ${Math.round(seenAfter)} ms of overlap, before the confirm window`);
  assert.match(b.sync.checkReason(true) ?? '', /^split brain: .*this node took them last and yields/);
  assert.equal(b.sync.checkReason(false)?.startsWith('split brain'), true, 'the yield holds in any role');
  await until('A judged the same split', () => a.sync.status().splitBrain.splits === 1);
  assert.equal(a.sync.checkReason(true), null, 'A, which held them first, keeps them');
  assert.equal(a.sync.status().splitBrain.yielding, false);
  assert.match(a.sync.status().splitBrain.lastVerdict ?? '', /the peer took them last and yields/);

  /* keepalived takes B's VIPs (FAULT): the overlap ends, yet B stays out while A holds them. */
  heldSince.delete(B_PORT);
  await sleep(3 * 200 + 100);
  assert.equal(b.sync.status().splitBrain.yielding, true, 'B still yields while A holds the VIPs');
  assert.equal(b.sync.status().splitBrain.splits, 1, 'one split, counted once');
  /* A gives them up (it failed, or a planned switchover): B may stand by again at A's next ALIVE. */
  heldSince.delete(A_PORT);
  await until('B no longer yields', () => !b.sync.status().splitBrain.yielding && b.sync.checkReason(false) === null);
  assert.deepEqual(yieldWrites.get(B_PORT), [false, true, false], "B's yield file: not yielding, yielding, not yielding");
  assert.deepEqual(yieldWrites.get(A_PORT), [false], 'A never yields');
});

test('split brain: an overlap shorter than the confirm window (a switchover) is no split', async () => {
  const before = b.sync.status().splitBrain.splits;
  heldSince.set(A_PORT, Date.now());
  heldSince.set(B_PORT, Date.now());
  await sleep(SPLIT_CONFIRM_MS / 2);
  heldSince.delete(A_PORT);
  await sleep(SPLIT_CONFIRM_MS);
  assert.equal(b.sync.status().splitBrain.splits, before);
  assert.equal(a.sync.status().splitBrain.splits, 1);
  assert.equal(b.sync.checkReason(true), null);
  heldSince.delete(B_PORT);
});

test("split brain: a claim from before the peer fell silent to us does not count, though the peer's stream says it lives", async () => {
  heldSince.set(A_PORT, Date.now() - 10_000);
  await until("B has A's claim", () => b.sync.status().splitBrain.peerHoldsVips === true);
  const splits = b.sync.status().splitBrain.splits;
  /* A answers B's stream no more (as a connection to a peer that lost power and came back), while A's own stream to B goes on. */
  a.sync.receiver.stop();
  await sleep(PEER_DEAD_MS + 200);
  assert.equal(b.sync.state(), 'in-sync', "A's stream to B goes on");
  heldSince.set(B_PORT, Date.now());
  const overlapUntil = performance.now() + SPLIT_CONFIRM_MS + 500;
  while (performance.now() < overlapUntil) {
    assert.equal(b.sync.checkReason(false), null, "A's last claim is from before it fell silent: no split, no yield");
    await sleep(50);
  }
  assert.equal(b.sync.status().splitBrain.splits, splits);
  assert.equal(b.sync.status().splitBrain.peerHoldsVips, null, 'what A holds now is not known');
  assert.equal(b.sync.status().peerRole, null);
  heldSince.delete(A_PORT);
  heldSince.delete(B_PORT);
  a.sync.stop();
  a.sync = await startSync(a, A_PORT, B_PORT, true);
  await until('B in sync again', () => b.sync.state() === 'in-sync' && b.sync.status().peerRole === 'master');
});

test("ends: a flow A's conntrack sweep ended leaves B too; an end naming another backend than B's entry leaves B's entry alone", async () => {
  packet(a, 34_000, TCP.SYN);
  packet(a, 34_000, TCP.ACK);
  packet(a, 34_001, TCP.SYN);
  packet(a, 34_001, TCP.ACK);
  await until('both flows on B', () => flowOn(b, 34_000) && flowOn(b, 34_001));
  const endsBefore = b.sync.status().inbound.appliedEnds;
  const entryOnA = (port: number) => a.dp.maps.flows.lookup(keyOf(port))!;
  const ended = (port: number, backendId: number) => ({
    keys: new Uint8Array(encode(flowKeyLayout, keyOf(port))),
    backendIds: [backendId],
    serviceIds: [entryOnA(port).service_id],
  });
  a.sync.sweptFlows(ended(34_000, entryOnA(34_000).backend_id));
  await until('34000 ended on B', () => !flowOn(b, 34_000));
  /* The same end, but naming a backend B's entry does not use: B chose anew meanwhile, its entry stays. */
  const others = [...a.reconciler.ids().values()][0]!.backends;
  const other = [...others.values()].find((id) => id !== entryOnA(34_001).backend_id)!;
  a.sync.sweptFlows(ended(34_001, other));
  await sleep(300);
  assert.ok(flowOn(b, 34_001), "B's entry on another backend stayed");
  assert.equal(b.sync.status().inbound.appliedEnds, endsBefore + 1);
});

test('a connection the peer stops answering (no FIN, as after a power cut) is replaced; so is one that brings no HELLO, and a silent one at once when the peer streams to us again', async () => {
  const opened: number[] = [];
  const sockets: Socket[] = [];
  const closed = new Set<Socket>();
  let hello = true;
  const peer = createServer((socket) => {
    opened.push(performance.now());
    sockets.push(socket);
    socket.on('error', () => {});
    socket.on('close', () => closed.add(socket));
    socket.resume();
    /* A HELLO, then nothing: no ALIVE ever answers the heartbeats. */
    if (hello) socket.write(helloFrame().bytes);
  });
  await new Promise<void>((resolve) => peer.listen(0, LOOPBACK, resolve));
  const silentConnectionMs = 600;
  const options: ConstructorParameters<typeof SyncSender>[0] = {
    peer: { address: LOOPBACK, port: (peer.address() as AddressInfo).port },
    key: KEY,
    maps: a.dp.maps,
    names: new BackendNames(() => a.reconciler.ids()),
    /* A ring that never fills: the loop wakes on its tick only. */
    events: { drain: () => [], wait: (timeoutMs) => sleep(timeoutMs).then(() => false) },
    log: (level, message) => logs.push(`${level} ${message}`),
  };
  const senders: SyncSender[] = [];
  try {
    const sender = new SyncSender({ ...options, silentConnectionMs });
    senders.push(sender);
    sender.start();
    await until('a second connection', () => opened.length >= 2, silentConnectionMs + 3_000);
    const replacedAfter = opened[1]! - opened[0]!;
    assert.ok(replacedAfter >= silentConnectionMs, `replaced ${Math.round(replacedAfter)} ms after it opened`);
    assert.match(sender.status.lastError ?? '', /^the peer answered nothing for 600 ms; connecting again$/);
    await until('the sender closed the silent connection', () => closed.has(sockets[0]!), 1_000);

    hello = false;
    const before = opened.length;
    await until('a connection without HELLO, then another', () => opened.length >= before + 2, 3 * silentConnectionMs + 3_000);
    sender.stop();

    /* The peer opens a stream to us (its agent is back). A sender whose watchdog would wait 60 s: only reconnectNow replaces. */
    hello = true;
    const patient = new SyncSender({ ...options, silentConnectionMs: 60_000 });
    senders.push(patient);
    patient.start();
    await until('connected', () => patient.status.connected, 3_000);
    const connectedAt = performance.now();
    const count = opened.length;
    patient.reconnectNow();
    assert.equal(patient.status.connected, true, 'heard from within PEER_DEAD_MS: kept');
    await sleep(Math.max(0, connectedAt + PEER_DEAD_MS + 100 - performance.now()));
    assert.equal(opened.length, count, 'no new connection without reconnectNow');
    patient.reconnectNow();
    await until('a new connection at once', () => opened.length > count, 3_000);
  } finally {
    for (const sender of senders) sender.stop();
    peer.close();
    for (const socket of sockets) socket.destroy();
  }
});

test('a flow-event wait that fails: the error is logged once and the ring is drained on the tick instead, without spinning', async () => {
  const logged: string[] = [];
  let waits = 0;
  let drains = 0;
  const event = { key: Buffer.alloc(40), backend_id: 1, service_id: 1, tcp_state: 1, flags: 0, kind: RecordKind.NEW };
  const sender = new SyncSender({
    /* Nobody listens there: the sender is never ready, so each drained event counts as dropped. */
    peer: { address: LOOPBACK, port: BASE_PORT + 2 },
    key: KEY,
    maps: a.dp.maps,
    names: new BackendNames(() => a.reconciler.ids()),
    events: {
      drain: () => {
        drains++;
        return [event];
      },
      wait: () => {
        waits++;
        return Promise.reject(new Error('ppoll on the flow_events ring failed'));
      },
    },
    log: (level, message) => logged.push(`${level} ${message}`),
  });
  const started = performance.now();
  sender.start();
  try {
    await until('drains on the tick', () => drains >= 5);
    await sleep(200);
  } finally {
    sender.stop();
  }
  const ms = performance.now() - started;
  assert.deepEqual(
    logged.filter((line) => line.includes('waiting for flow events')),
    ['error flow sync: waiting for flow events: ppoll on the flow_events ring failed'],
  );
  assert.equal(sender.status.droppedEvents, drains, 'every drained event counted (no peer to send it to)');
  /* One wait per 20 ms tick at most, with room for a slow loaded machine; a loop without its rest would make thousands. */
  assert.ok(waits <= ms / 20 + 2, `${waits} waits in ${Math.round(ms)} ms`);
});

test('refresh: the whole table streams again every refresh interval, so a flow B lost comes back without any change on A', async () => {
  /* A third node C: its sender refreshes every 400 ms into B's listener (as A would every 5 minutes). */
  const c = await startNode(SERVICE.backends, BASE_PORT + 2, B_PORT, true, 400);
  try {
    packet(c, 35_000, TCP.SYN);
    packet(c, 35_000, TCP.ACK);
    /* Both events applied (the SYN's half-open entry alone would be deleted from the wrong table): no event is left to bring it back. */
    const established = flowOn(c, 35_000);
    assert.equal(established?.table, 'flows');
    await until('the established flow on B', () => isDeepStrictEqual(flowOn(b, 35_000), established));
    const sentBefore = c.sync.sender.status.sentFlows;
    const resyncsBefore = b.sync.status().inbound.resyncs;
    assert.equal(b.dp.maps.flows.delete(keyOf(35_000)), true);
    assert.equal(flowOn(b, 35_000), undefined);
    const refreshed = await until('back on B by a refresh', () => flowOn(b, 35_000), 3_000);
    assert.deepEqual(refreshed, established);
    await until('C counted the table it sent again', () => c.sync.sender.status.sentFlows > sentBefore, 3_000);
    assert.equal(b.sync.status().inbound.resyncs, resyncsBefore, 'a refresh, not a resync after a reconnect');
  } finally {
    c.sync.stop();
    c.reader.close();
    c.dp.close();
  }
});
