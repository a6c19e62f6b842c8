#!/usr/bin/env node
// The soak's steady traffic, run inside the client namespace for the whole soak:
//   ip netns exec <client> node bench/soak/traffic.mjs --config JSON
// Short HTTP requests (a new TCP connection each) and UDP request/replies (a
// new socket, so a new flow, each) at a steady pace, plus long-lived line
// connections ("holds") that send a line every interval and check every reply
// comes from the backend that greeted them. Every request binds its own source
// port, chosen from a range below the kernel's ephemeral ports, so the soak can
// look a failed request's flow up in the balancer's flow table by its 5-tuple.
// Bounded in time (--seconds) and count (--max-requests); SIGTERM ends it
// early. Writes one JSON object per line on stdout: failures and hold
// endings as they happen, a tick every second, and a final "done".
import http from 'node:http';
import net from 'node:net';
import dgram from 'node:dgram';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { config: { type: 'string' } } });
/** @type {{seconds: number, maxRequests: number, http: {host: string, port: number, source: string, perSecond: number}[], udp: {host: string, port: number, source: string, perSecond: number}[], holds: {host: string, port: number, source: string, count: number, intervalMs: number}, requestTimeoutMs: number, udpTimeoutMs: number}} */
const config = JSON.parse(values.config ?? '');

/* Source ports: HTTP and UDP each cycle through a range below Linux's ephemeral
 * range (32768-60999), so they never meet a kernel-chosen port; at the soak's
 * rates a port comes round again after minutes, long after TIME_WAIT (60 s)
 * and the balancer's closed-flow timeout (10 s). */
const HTTP_PORTS = [10_000, 21_999];
const UDP_PORTS = [22_000, 31_999];
const HOLD_PORTS = [32_000, 32_767];
/* A hold whose line gets no reply within this long is broken (stalled). */
const HOLD_STALL_MS = 5_000;
/* After a hold ends, the slot opens a new one after this pause. */
const HOLD_REOPEN_MS = 500;

const emit = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const startedAt = Date.now();
const deadline = startedAt + config.seconds * 1000;
let stopping = false;
const stop = () => (stopping = true);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
setTimeout(stop, config.seconds * 1000).unref();

const totals = { http: { ok: 0, failed: 0 }, udp: { ok: 0, failed: 0 }, hold: { ok: 0, failed: 0 }, holds: { opened: 0, ended: 0, lines: 0 } };
let issued = 0;
const portCursor = new Map();
function nextPort(key, [low, high]) {
  const at = portCursor.get(key) ?? low;
  portCursor.set(key, at >= high ? low : at + 1);
  return at;
}

function fail(kind, target, sport, start, error) {
  totals[kind].failed++;
  emit({
    type: 'fail',
    kind,
    host: target.host,
    port: target.port,
    source: target.source,
    sport,
    start,
    end: Date.now(),
    reason: error?.code ?? error?.message ?? String(error),
  });
}

function httpOnce(target) {
  const sport = nextPort(`http${target.source}`, HTTP_PORTS);
  const start = Date.now();
  return new Promise((resolve) => {
    let done = false;
    const finish = (error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (error) fail('http', target, sport, start, error);
      else totals.http.ok++;
      resolve();
    };
    const req = http.request({
      host: target.host,
      port: target.port,
      path: '/',
      method: 'GET',
      agent: false,
      localAddress: target.source,
      localPort: sport,
      headers: { connection: 'close' },
    });
    const timer = setTimeout(() => req.destroy(Object.assign(new Error('request timeout'), { code: 'REQUEST_TIMEOUT' })), config.requestTimeoutMs);
    req.on('error', finish);
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', finish);
      res.on('end', () => {
        if (res.statusCode !== 200) return finish(new Error(`HTTP ${res.statusCode}`));
        try {
          if (typeof JSON.parse(Buffer.concat(chunks).toString('utf8')).backend !== 'string') throw new Error();
          finish();
        } catch {
          finish(new Error('bad body'));
        }
      });
    });
    req.end();
  });
}

function udpOnce(target) {
  const sport = nextPort(`udp${target.source}`, UDP_PORTS);
  const start = Date.now();
  const payload = `soak-${sport}-${start}`;
  return new Promise((resolve) => {
    const socket = dgram.createSocket(net.isIPv6(target.host) ? 'udp6' : 'udp4');
    let done = false;
    const finish = (error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        socket.close();
      } catch {
        /* already closed */
      }
      if (error) fail('udp', target, sport, start, error);
      else totals.udp.ok++;
      resolve();
    };
    const timer = setTimeout(() => finish(Object.assign(new Error('no reply'), { code: 'UDP_TIMEOUT' })), config.udpTimeoutMs);
    socket.on('error', finish);
    socket.on('message', (msg) => {
      const text = msg.toString('utf8');
      if (text.endsWith(` ${payload}`)) finish();
    });
    socket.bind({ address: target.source, port: sport }, () => {
      socket.connect(target.port, target.host, () => socket.send(payload));
    });
  });
}

/* One loop per target, paced to perSecond, one request at a time per worker. */
async function paced(target, once, workers) {
  const gapMs = (1000 * workers) / target.perSecond;
  const worker = async () => {
    while (!stopping && Date.now() < deadline && issued < config.maxRequests) {
      issued++;
      const t = Date.now();
      await once(target);
      const wait = gapMs - (Date.now() - t);
      if (wait > 0) await sleep(wait);
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
}

/* One slot of long-lived connections: a hold, and when it ends, a new one. */
async function holdSlot(slot) {
  let generation = 0;
  while (!stopping && Date.now() < deadline) {
    const id = `${slot}.${generation++}`;
    await holdOnce(id);
    if (!stopping) await sleep(HOLD_REOPEN_MS);
  }
}

function holdOnce(id) {
  const { host, port, source, intervalMs } = config.holds;
  const sport = nextPort('hold', HOLD_PORTS);
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, localAddress: source, localPort: sport });
    const openedAt = Date.now();
    let backend = null;
    let pending = '';
    let sent = 0;
    let received = 0;
    let lastReplyAt = Date.now();
    let ended = false;
    let ticker;
    const end = (reason, broken) => {
      if (ended) return;
      ended = true;
      clearInterval(ticker);
      clearInterval(watch);
      socket.destroy();
      /* No greeting: the connection itself failed, which is judged like a failed request. */
      if (backend === null) {
        if (broken) fail('hold', config.holds, sport, openedAt, { code: reason });
        return resolve();
      }
      totals.holds.ended++;
      emit({ type: 'hold-end', id, backend, openedAt, t: Date.now(), broken, reason, sent, received });
      resolve();
    };
    const watch = setInterval(() => {
      if (stopping) return end('stopped', false);
      if (sent > received && Date.now() - lastReplyAt > HOLD_STALL_MS) end(`no reply for ${HOLD_STALL_MS} ms`, true);
    }, 100);
    socket.setNoDelay(true);
    socket.setEncoding('utf8');
    socket.on('error', (error) => end(error.code ?? error.message, true));
    socket.on('close', () => end('closed by the other side', true));
    socket.on('data', (chunk) => {
      pending += chunk;
      let nl;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (backend === null) {
          backend = line;
          totals.hold.ok++;
          totals.holds.opened++;
          emit({ type: 'hold-open', id, backend, t: Date.now() });
          lastReplyAt = Date.now();
          ticker = setInterval(() => {
            if (sent > received) return; /* one line in flight at a time */
            sent++;
            socket.write(`${id} ${sent}\n`);
          }, intervalMs);
          continue;
        }
        if (line !== `${backend} ${id} ${received + 1}`) return end(`unexpected reply "${line}"`, true);
        received++;
        totals.holds.lines++;
        lastReplyAt = Date.now();
      }
    });
  });
}

const ticker = setInterval(() => emit({ type: 'tick', t: Date.now(), ...totals }), 1000);
const loops = [
  ...config.http.map((target) => paced(target, httpOnce, 2)),
  ...config.udp.map((target) => paced(target, udpOnce, 2)),
  ...Array.from({ length: config.holds.count }, (_, slot) => holdSlot(slot)),
];
await Promise.all(loops);
clearInterval(ticker);
emit({ type: 'done', t: Date.now(), seconds: (Date.now() - startedAt) / 1000, ...totals });
process.exit(0);
