/*
 * A node on the segment without the pair's key: connects to a sync listener,
 * takes its HELLO, and sends a well-formed OPEN then a FLOWS frame naming a
 * real backend, both MACed under a key of its own. Prints one JSON line:
 * whether the listener closed the connection. Run in a namespace by
 * keepalived-pair.test.ts: node --import tsx sync-forger.ts HOST PORT NAME
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { CHALLENGE_BYTES, FrameSplitter, FrameType, RecordKind, encodeFlows, encodeFrame, readHello } from '../../../apps/agent/src/sync/wire.ts';

const [host, port, name] = process.argv.slice(2);
if (!host || !port || !name) throw new Error('usage: sync-forger.ts HOST PORT "SERVICE ENDPOINT"');
const key = randomBytes(32);
const socket = connect({ host, port: Number(port) });
const splitter = new FrameSplitter();
let sent = false;
const timer = setTimeout(() => {
  console.log(JSON.stringify({ closed: false }));
  process.exit(1);
}, 10_000);
socket.on('data', (chunk: Buffer) => {
  const [hello] = splitter.push(chunk);
  if (!hello || sent) return;
  sent = true;
  const challenge = readHello(hello);
  /* A flow from the client (198.18.0.2:40000) to the first VIP's line port. */
  const flowKey = Buffer.from([198, 18, 0, 2, ...new Array(12).fill(0), 198, 18, 100, 1, ...new Array(12).fill(0), 0x9c, 0x40, 0x23, 0x28, 6, 4, 0, 0]);
  socket.write(encodeFrame(key, challenge, { type: FrameType.OPEN, seq: 1n, sentAtMs: Date.now(), body: randomBytes(CHALLENGE_BYTES) }));
  socket.write(
    encodeFrame(key, challenge, {
      type: FrameType.FLOWS,
      seq: 2n,
      sentAtMs: Date.now(),
      body: encodeFlows([{ key: flowKey, name, kind: RecordKind.NEW, tcpState: 2, flags: 0 }]),
    }),
  );
});
socket.on('error', () => {});
socket.on('close', () => {
  clearTimeout(timer);
  console.log(JSON.stringify({ closed: sent }));
});
