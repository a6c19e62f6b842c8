/*
 * GET /metrics in the Prometheus text format. collect() is called once per
 * scrape and every metric reads that one snapshot, so a scrape is
 * consistent and costs one read of the agent's state.
 */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorReference } from '@sluice/api';
import { log } from '../log.js';
import { createMetricsRegistry } from './registry.js';
import type { MetricsSnapshot } from './types.js';

export interface MetricsServerOptions {
  host: string;
  port: number;
  collect: () => MetricsSnapshot;
}

export interface MetricsServer {
  /** Where it listens (port resolved when 0 was asked). */
  address: { host: string; port: number };
  close(): Promise<void>;
}

export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  let snapshot: MetricsSnapshot | undefined;
  const registry = createMetricsRegistry(() => {
    if (!snapshot) throw new Error('metrics read outside a scrape');
    return snapshot;
  });
  /* One scrape at a time: the snapshot is shared by every metric's collect(). */
  let queue: Promise<unknown> = Promise.resolve();
  const scrape = () => {
    const run = queue.then(async () => {
      snapshot = options.collect();
      try {
        return await registry.metrics();
      } finally {
        snapshot = undefined;
      }
    });
    queue = run.catch(() => {});
    return run;
  };

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: try /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    scrape().then(
      (body) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(req.method === 'HEAD' ? undefined : body),
      /* The port may face a network: the error's own words (paths, errno text) go to the agent's log, the scraper gets the reference. */
      (err: unknown) => {
        const error = err instanceof Error ? err : new Error(String(err));
        const reference = errorReference(error);
        log('error', `metrics collection failed [reference ${reference}]: ${error.stack ?? error.message}`);
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`metrics collection failed (reference ${reference}); the agent's log has the details\n`);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host, port: options.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  return {
    address: { host: bound.address, port: bound.port },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
