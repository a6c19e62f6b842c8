// Runs in the client namespace: for each client port in turn, one HTTP GET
// (Connection: close, so the backend closes first and keeps TIME_WAIT)
// through the --first VIP, then one from the same port through the --then VIP.
// Prints a JSON array of { port, first, then, thenMs, error } (backend names).
// Bounded: --count ports (at most 200), each request at most 5 s.
import net from 'node:net';
import { parseArgs } from 'node:util';

const REQUEST_TIMEOUT_MS = 5_000;
const { values } = parseArgs({
  // biome-ignore lint/suspicious/noThenProperty: --then is the second address asked, not a thenable
  options: { first: { type: 'string' }, then: { type: 'string' }, port: { type: 'string' }, 'local-port': { type: 'string' }, count: { type: 'string' } },
  strict: true,
});
const count = Number(values.count);
const localBase = Number(values['local-port']);
const port = Number(values.port);
if (!values.first || !values.then || !(count >= 1 && count <= 200) || !(localBase >= 1024 && localBase + count <= 32768) || !port) {
  process.stderr.write('usage: port-reuse-client.mjs --first VIP --then VIP --port P --local-port BASE (1024..32767) --count N (1..200)\n');
  process.exit(2);
}

function get(host, localPort) {
  return new Promise((resolve) => {
    const started = Date.now();
    let body = '';
    let settled = false;
    const done = (result) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve({ ...result, ms: Date.now() - started });
    };
    const socket = net.connect({ host, port, localPort });
    socket.setTimeout(REQUEST_TIMEOUT_MS, () => done({ error: 'timeout' }));
    socket.on('connect', () => socket.write('GET / HTTP/1.1\r\nHost: vip\r\nConnection: close\r\n\r\n'));
    socket.on('data', (chunk) => (body += chunk));
    socket.on('error', (error) => done({ error: error.code ?? error.message }));
    socket.on('end', () => {
      const backend = /"backend":"([^"]+)"/.exec(body)?.[1];
      done(backend ? { backend } : { error: 'no backend in the answer' });
    });
  });
}

const rows = [];
for (let i = 0; i < count; i++) {
  const localPort = localBase + i;
  const first = await get(values.first, localPort);
  const then = await get(values.then, localPort);
  // biome-ignore lint/suspicious/noThenProperty: the row's `then` column is the second answer, not a thenable
  rows.push({ port: localPort, first: first.backend ?? null, then: then.backend ?? null, thenMs: then.ms, error: first.error ?? then.error ?? null });
}
process.stdout.write(`${JSON.stringify(rows)}\n`);
