// hold mode: one long-lived TCP connection to the line server; checks every
// reply comes from the backend that greeted us. Ends on time or on SIGTERM/SIGINT.
// With --progress, writes "received N" to stderr after each reply, so a test
// can wait for the connection to make progress instead of sleeping.
import net from 'node:net';
import { writeFileSync, renameSync } from 'node:fs';
import { UsageError, intOpt, now, round, reasonOf } from './common.mjs';

export async function holdMode(values) {
  const host = values.host;
  if (!host || !net.isIP(host)) throw new UsageError('--host must be an IPv4 or IPv6 address');
  const port = intOpt(values, 'port', { required: true, max: 65535 });
  const seconds = intOpt(values, 'seconds', { required: true, max: 86_400 });
  const intervalMs = intOpt(values, 'interval-ms', { fallback: 100, max: 3_600_000 });
  const totalMs = intOpt(values, 'timeout-ms', { fallback: Math.max(60_000, seconds * 1000 + 10_000) });
  const requestMs = intOpt(values, 'request-timeout-ms', { fallback: 5_000 });
  const maxLines = Math.ceil((seconds * 1000) / intervalMs) + 1; // hard bound on what we send
  /* A chosen source port makes the 5-tuple known beforehand (ECMP tests predict the router's path from it). */
  const localPort = intOpt(values, 'source-port', { fallback: undefined, max: 65535 });

  return new Promise((resolve) => {
    const started = now();
    let backend = null;
    let sent = 0;
    let received = 0;
    let errors = 0;
    const errorSamples = [];
    let broken = false;
    let brokenReason = null;
    let stoppedBy = null;
    let finished = false;
    let ticker = null;
    let pending = '';
    const error = (message) => {
      errors++;
      if (errorSamples.length < 20) errorSamples.push(message);
    };

    const socket = net.connect({ host, port, localAddress: values.source, localPort });
    socket.setNoDelay(true);
    socket.setEncoding('utf8');
    socket.setTimeout(requestMs, () => socket.destroy(Object.assign(new Error('connect timeout'), { code: 'CONNECT_TIMEOUT' })));
    let local = { address: null, port: null };
    socket.once('connect', () => (local = { address: socket.localAddress ?? null, port: socket.localPort ?? null }));

    const report = () => {
      finished = true;
      clearInterval(ticker);
      clearTimeout(hardDeadline);
      clearTimeout(endTimer);
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      if (received < sent && !broken) error(`missing ${sent - received} replies`);
      socket.removeAllListeners('close');
      socket.on('error', () => {});
      socket.end();
      socket.destroy();
      resolve({
        mode: 'hold',
        host,
        port,
        source: values.source ?? null,
        localAddress: local.address,
        localPort: local.port,
        backend,
        sent,
        received,
        errors,
        errorSamples,
        broken,
        brokenReason,
        stoppedBy,
        ok: !broken && errors === 0 && received === sent && backend !== null,
        durationMs: round(now() - started),
      });
    };

    // Stop sending, give outstanding replies a moment, then report.
    let endTimer = null;
    const stop = (why) => {
      if (stoppedBy) return;
      stoppedBy = why;
      clearInterval(ticker);
      const waitUntil = now() + Math.min(requestMs, 1_000);
      const check = () => {
        if (finished) return;
        if (received >= sent || broken || now() >= waitUntil) report();
        else endTimer = setTimeout(check, 10);
      };
      check();
    };
    const onSignal = (sig) => stop(sig === 'SIGINT' ? 'SIGINT' : 'SIGTERM');
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    const hardDeadline = setTimeout(() => {
      stoppedBy ??= 'deadline';
      if (!finished) report();
    }, totalMs);

    const fail = (reason) => {
      if (finished || broken) return;
      broken = true;
      brokenReason = reason;
      error(`connection broken: ${reason}`);
      stop(stoppedBy ?? 'broken');
    };
    socket.on('error', (err) => fail(reasonOf(err)));
    socket.on('close', () => fail('closed by peer'));
    socket.on('end', () => fail('closed by peer'));

    socket.on('data', (chunk) => {
      pending += chunk;
      let nl;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (backend === null) {
          backend = line.trim();
          socket.setTimeout(0);
          if (values['ready-file']) {
            const tmp = `${values['ready-file']}.tmp`;
            writeFileSync(tmp, `${backend}\n`);
            renameSync(tmp, values['ready-file']); // readers see all of it or nothing
          }
          const startedSending = now();
          ticker = setInterval(() => {
            if (sent >= maxLines || now() - startedSending >= seconds * 1000) return stop('time');
            socket.write(`${sent}\n`);
            sent++;
          }, intervalMs);
          continue;
        }
        const space = line.indexOf(' ');
        const from = space > 0 ? line.slice(0, space) : line;
        const seq = space > 0 ? line.slice(space + 1) : '';
        if (from !== backend) error(`reply from ${from}, expected ${backend}`);
        if (seq !== String(received)) error(`reply "${seq}" out of order, expected ${received}`);
        received++;
        if (values.progress) process.stderr.write(`received ${received}\n`);
      }
    });
  });
}
