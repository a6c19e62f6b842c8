#!/usr/bin/env node
// A backend that says who it is, on HTTP (8080), a line protocol over TCP
// (9000) and UDP (9001). Dependency free; run one per backend namespace:
//   ip netns exec sl-be1 node testbed/backend-server.mjs --name be1 [--pid-file F]
// The pid file is written only once every listener is bound, so its
// existence means "ready". SIGTERM/SIGINT close everything and exit 0.
import http from 'node:http';
import net from 'node:net';
import dgram from 'node:dgram';
import { writeFileSync, renameSync, rmSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: opts } = parseArgs({
  options: {
    name: { type: 'string' },
    host: { type: 'string', default: '::' },
    'http-port': { type: 'string', default: '8080' },
    'tcp-port': { type: 'string', default: '9000' },
    'udp-port': { type: 'string', default: '9001' },
    'pid-file': { type: 'string' },
  },
});
if (!opts.name) {
  console.error('usage: backend-server.mjs --name NAME [--host ::] [--http-port 8080] [--tcp-port 9000] [--udp-port 9001] [--pid-file F]');
  process.exit(2);
}
const name = opts.name;
const log = (...args) => console.log(new Date().toISOString(), name, ...args);

// Dual-stack sockets report IPv4 peers as ::ffff:a.b.c.d; tests want a.b.c.d.
const plainAddress = (a) => (a?.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : (a ?? ''));

const openSockets = new Set();
const track = (socket) => {
  openSockets.add(socket);
  socket.once('close', () => openSockets.delete(socket));
};

// --- HTTP: any GET -> 200 {"backend","client","port"}; keep-alive is Node's default.
const httpServer = http.createServer((req, res) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
    res.end(`${name}: method not allowed\n`);
    return;
  }
  const body = JSON.stringify({
    backend: name,
    client: plainAddress(req.socket.remoteAddress),
    port: req.socket.remotePort,
  });
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-backend': name,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
});
httpServer.keepAliveTimeout = 5_000;
httpServer.on('connection', track);
// A client that resets mid-request must not disturb anyone else.
httpServer.on('clientError', (_err, socket) => socket.destroy());

// --- Line server: greet with the name, echo each line prefixed with the name.
const lineServer = net.createServer((socket) => {
  track(socket);
  socket.setNoDelay(true);
  socket.on('error', () => {}); // resets are normal for a test server
  socket.write(`${name}\n`);
  let pending = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk) => {
    pending += chunk;
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).replace(/\r$/, '');
      pending = pending.slice(nl + 1);
      socket.write(`${name} ${line}\n`);
    }
    if (pending.length > 65_536) socket.destroy(); // no newline in sight: not our protocol
  });
});

// --- UDP: answer each datagram with "<name> <payload>".
const udp = dgram.createSocket({ type: 'udp6', ipv6Only: false });
udp.on('message', (msg, rinfo) => {
  const reply = Buffer.concat([Buffer.from(`${name} `), msg]);
  udp.send(reply, rinfo.port, rinfo.address, (err) => err && log('udp send error', err.code ?? err.message));
});
udp.on('error', (err) => log('udp error', err.code ?? err.message));

const listen = (server, port) =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: opts.host, port: Number(port), backlog: 4096 }, () => {
      server.off('error', reject);
      server.on('error', (err) => log('server error', err.code ?? err.message));
      resolve();
    });
  });

const bindUdp = (port) =>
  new Promise((resolve, reject) => {
    udp.once('error', reject);
    udp.bind({ address: opts.host, port: Number(port) }, () => {
      udp.off('error', reject);
      resolve();
    });
  });

let stopping = false;
function stop(signal) {
  if (stopping) return;
  stopping = true;
  log(`stopping on ${signal}`);
  setTimeout(() => process.exit(0), 2_000).unref(); // never hang on a stuck socket
  httpServer.close();
  lineServer.close();
  try {
    udp.close();
  } catch {
    // already closed
  }
  for (const socket of openSockets) socket.destroy();
  if (opts['pid-file']) rmSync(opts['pid-file'], { force: true });
  setImmediate(() => process.exit(0));
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));

try {
  await listen(httpServer, opts['http-port']);
  await listen(lineServer, opts['tcp-port']);
  await bindUdp(opts['udp-port']);
} catch (err) {
  log('failed to start:', err.message);
  process.exit(1);
}

if (opts['pid-file']) {
  // Write-then-rename so a reader never sees a half-written pid.
  const tmp = `${opts['pid-file']}.tmp`;
  writeFileSync(tmp, `${process.pid}\n`);
  renameSync(tmp, opts['pid-file']);
}
log(`ready pid=${process.pid} http=${opts['http-port']} tcp=${opts['tcp-port']} udp=${opts['udp-port']} host=${opts.host}`);
