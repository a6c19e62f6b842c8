// http mode: N GETs, a new TCP connection each unless --keepalive; counts answers per backend.
import http from 'node:http';
import { MAX_COUNT, MAX_CONCURRENCY, UsageError, intOpt, now, round, latencySummary, bump, reasonOf, pool, deadlineTimer } from './common.mjs';

export async function httpMode(values) {
  if (!values.url) throw new UsageError('--url is required');
  const url = new URL(values.url);
  if (url.protocol !== 'http:') throw new UsageError('only http:// URLs are supported');
  const count = intOpt(values, 'count', { required: true, max: MAX_COUNT });
  const concurrency = intOpt(values, 'concurrency', { fallback: 1, max: MAX_CONCURRENCY });
  const totalMs = intOpt(values, 'timeout-ms', { fallback: 60_000 });
  const requestMs = intOpt(values, 'request-timeout-ms', { fallback: 5_000 });
  const keepalive = Boolean(values.keepalive);
  const agent = keepalive ? new http.Agent({ keepAlive: true, maxSockets: concurrency }) : false;

  const byBackend = {};
  const byClient = {};
  const failures = {};
  const latencies = [];
  const inflight = new Set();
  const sockets = new WeakSet();
  let connections = 0;
  let succeeded = 0;
  let failed = 0;
  let timedOut = false;
  const timer = deadlineTimer(totalMs, () => {
    timedOut = true;
    for (const req of inflight) req.destroy(Object.assign(new Error('deadline'), { code: 'DEADLINE' }));
  });

  const one = () =>
    new Promise((resolve) => {
      const started = now();
      let done = false;
      const finish = (err, body) => {
        if (done) return;
        done = true;
        clearTimeout(perRequest);
        inflight.delete(req);
        if (err) {
          failed++;
          bump(failures, reasonOf(err));
        } else {
          succeeded++;
          latencies.push(now() - started);
          bump(byBackend, body.backend);
          bump(byClient, body.client);
        }
        resolve();
      };
      const req = http.request(url, {
        method: 'GET',
        agent,
        localAddress: values.source,
        headers: keepalive ? {} : { connection: 'close' },
      });
      inflight.add(req);
      const perRequest = setTimeout(() => req.destroy(Object.assign(new Error('request timeout'), { code: 'REQUEST_TIMEOUT' })), requestMs);
      req.on('socket', (s) => {
        if (!sockets.has(s)) {
          sockets.add(s);
          connections++;
        }
      });
      req.on('error', (err) => finish(err));
      req.on('response', (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('error', (err) => finish(err));
        res.on('end', () => {
          if (res.statusCode !== 200) return finish(new Error(`HTTP ${res.statusCode}`));
          try {
            const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            if (typeof body.backend !== 'string') throw new Error('no backend');
            finish(null, body);
          } catch {
            finish(new Error('bad body'));
          }
        });
      });
      req.end();
    });

  const started = now();
  await pool(count, concurrency, () => timedOut, one);
  const durationMs = now() - started;
  clearTimeout(timer);
  if (agent) agent.destroy();
  return {
    mode: 'http',
    url: url.href,
    source: values.source ?? null,
    keepalive,
    count,
    concurrency,
    completed: succeeded + failed,
    succeeded,
    failed,
    ok: failed === 0 && !timedOut && succeeded === count,
    timedOut,
    byBackend,
    byClient,
    failures,
    connections,
    latencyMs: latencySummary(latencies),
    durationMs: round(durationMs),
    requestsPerSecond: round((succeeded / durationMs) * 1000),
  };
}
