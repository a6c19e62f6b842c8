// udp mode: N request/replies; counts answers per backend.
import net from 'node:net';
import dgram from 'node:dgram';
import { MAX_COUNT, MAX_CONCURRENCY, UsageError, intOpt, now, round, latencySummary, bump, reasonOf, pool, deadlineTimer } from './common.mjs';

export async function udpMode(values) {
  const host = values.host;
  if (!host || !net.isIP(host)) throw new UsageError('--host must be an IPv4 or IPv6 address');
  const port = intOpt(values, 'port', { required: true, max: 65535 });
  const count = intOpt(values, 'count', { required: true, max: MAX_COUNT });
  const concurrency = intOpt(values, 'concurrency', { fallback: 1, max: MAX_CONCURRENCY });
  const totalMs = intOpt(values, 'timeout-ms', { fallback: 60_000 });
  const requestMs = intOpt(values, 'request-timeout-ms', { fallback: 1_000 });
  const newSocket = Boolean(values['new-socket']);
  const type = net.isIPv6(host) ? 'udp6' : 'udp4';

  const byBackend = {};
  const failures = {};
  const socketErrors = {};
  const latencies = [];
  const pending = new Map(); // payload -> { socket, settle(err, backend) }
  const openSockets = new Set();
  let succeeded = 0;
  let failed = 0;
  let timedOut = false;
  const timer = deadlineTimer(totalMs, () => {
    timedOut = true;
    for (const entry of [...pending.values()]) entry.settle(Object.assign(new Error('deadline'), { code: 'DEADLINE' }));
  });

  /*
   * --new-socket: every request is a new flow, so each socket's source port is
   * one this run has not used. The kernel picks ports at random and may hand a
   * closed socket's port out again (40 sockets over 64K ports: about 1 run in
   * 80 repeats one, which the balancer rightly treats as the earlier flow);
   * a socket that gets a used port is kept open (so the kernel cannot give
   * that port again) until the run ends, and another is opened.
   */
  const usedPorts = new Set();
  const parked = [];
  async function openFreshSocket() {
    for (let tries = 0; tries < 100; tries++) {
      const socket = await openSocket();
      const { port: local } = socket.address();
      if (!usedPorts.has(local)) {
        usedPorts.add(local);
        return socket;
      }
      parked.push(socket);
    }
    throw Object.assign(new Error('100 new sockets in a row got a source port this run used already'), { code: 'NO_FRESH_PORT' });
  }

  // Replies are matched to requests by payload, so stray or late replies are ignored.
  async function openSocket() {
    const socket = dgram.createSocket(type);
    openSockets.add(socket);
    // An ICMP error (e.g. port unreachable -> ECONNREFUSED) fails what is
    // waiting on this socket at once instead of letting it time out.
    socket.on('error', (err) => {
      bump(socketErrors, reasonOf(err));
      for (const entry of [...pending.values()]) if (entry.socket === socket) entry.settle(err);
    });
    socket.on('message', (msg) => {
      const text = msg.toString('utf8');
      const space = text.indexOf(' ');
      const entry = space > 0 ? pending.get(text.slice(space + 1)) : undefined;
      if (entry) entry.settle(null, text.slice(0, space));
    });
    await new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: values.source, port: 0 }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    await new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(port, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return socket;
  }
  const closeSocket = (socket) => {
    openSockets.delete(socket);
    try {
      socket.close();
    } catch {
      // already closed
    }
  };

  const shared = newSocket ? null : await openSocket();
  const one = async (i) => {
    let socket;
    try {
      socket = shared ?? (await openFreshSocket());
    } catch (err) {
      failed++;
      bump(failures, reasonOf(err));
      return;
    }
    const payload = `req-${process.pid}-${i}`;
    const started = now();
    await new Promise((resolve) => {
      const settle = (err, backend) => {
        if (!pending.has(payload)) return;
        pending.delete(payload);
        clearTimeout(perRequest);
        if (err) {
          failed++;
          bump(failures, reasonOf(err));
        } else {
          succeeded++;
          latencies.push(now() - started);
          bump(byBackend, backend);
        }
        resolve();
      };
      pending.set(payload, { socket, settle });
      const perRequest = setTimeout(() => settle(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })), requestMs);
      socket.send(payload, (err) => err && settle(err));
    });
    if (!shared) closeSocket(socket);
  };

  const started = now();
  await pool(count, concurrency, () => timedOut, one);
  const durationMs = now() - started;
  clearTimeout(timer);
  for (const s of openSockets) closeSocket(s);
  return {
    mode: 'udp',
    host,
    port,
    source: values.source ?? null,
    newSocket,
    /* Sockets that got a port this run had used, kept aside (--new-socket). */
    portsRepeatedByKernel: parked.length,
    count,
    concurrency,
    completed: succeeded + failed,
    succeeded,
    failed,
    ok: failed === 0 && !timedOut && succeeded === count,
    timedOut,
    byBackend,
    failures,
    socketErrors,
    latencyMs: latencySummary(latencies),
    durationMs: round(durationMs),
  };
}
