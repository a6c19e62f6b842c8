#!/usr/bin/env node
// Opens N short connections to a line server (testbed port 9000) and counts
// which backend greeted each one. Run inside the client namespace:
//   ip netns exec <p>-client node line-probe.mjs --host H --port P --count N [--concurrency C] [--source ADDR]
// Bounded: at most --count connections, each within --request-timeout-ms, all
// within --timeout-ms. Prints one JSON object: {ok, succeeded, failed, byBackend, failures}.
import net from 'node:net';
import { parseArgs } from 'node:util';

const MAX_COUNT = 10_000;
const { values } = parseArgs({
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    count: { type: 'string' },
    concurrency: { type: 'string', default: '4' },
    source: { type: 'string' },
    'request-timeout-ms': { type: 'string', default: '3000' },
    'timeout-ms': { type: 'string', default: '30000' },
  },
});
const count = Number(values.count);
const concurrency = Number(values.concurrency);
const port = Number(values.port);
if (
  !net.isIP(values.host ?? '') ||
  !(port > 0 && port < 65536) ||
  !(count >= 1 && count <= MAX_COUNT) ||
  !(concurrency >= 1) ||
  (values.source !== undefined && !net.isIP(values.source))
) {
  console.error('usage: line-probe.mjs --host IP --port P --count 1..10000 [--concurrency C] [--source IP]');
  process.exit(2);
}
const requestMs = Number(values['request-timeout-ms']);
const deadline = Date.now() + Number(values['timeout-ms']);

const byBackend = {};
const failures = {};
let succeeded = 0;
let failed = 0;
const bump = (map, key) => (map[key] = (map[key] ?? 0) + 1);

/* Connect, read the greeting (the backend's name), send one line, expect "<name> ping" back, close. */
function probe() {
  return new Promise((resolve) => {
    const socket = net.connect({ host: values.host, port, localAddress: values.source });
    let buffered = '';
    let name = null;
    let done = false;
    const finish = (error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) {
        failed++;
        bump(failures, error);
      } else {
        succeeded++;
        bump(byBackend, name);
      }
      resolve();
    };
    const timer = setTimeout(() => finish('TIMEOUT'), requestMs);
    socket.setEncoding('utf8');
    socket.on('error', (err) => finish(err.code ?? err.message));
    socket.on('data', (chunk) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      if (name === null && lines.length > 1) {
        name = lines[0].trim();
        socket.write('ping\n');
      }
      if (name !== null && lines.length > 2) {
        finish(lines[1] === `${name} ping` ? null : `bad echo "${lines[1]}"`);
      }
    });
  });
}

let next = 0;
const worker = async () => {
  while (next < count && Date.now() < deadline) {
    next++;
    await probe();
  }
};
await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
const timedOut = succeeded + failed < count;
console.log(JSON.stringify({ mode: 'line-probe', count, succeeded, failed, timedOut, ok: succeeded === count, byBackend, failures }));
