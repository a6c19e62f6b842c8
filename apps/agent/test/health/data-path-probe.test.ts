/*
 * Data-path probes (dsr/ipip/gue backends): the checker probes VIP:port from
 * the port the router reserved for the backend, never the backend's own
 * address, and reuses that port probe after probe (on loopback, where
 * tcp_tw_reuse=2 lets a TIME_WAIT port be reused anyway, this cannot show the
 * reset close is needed; the fabric test probes across veths). Real loopback servers;
 * the router here hands out a port and records what it was asked (the real
 * one, ProbeSteering, is proven on the fabric network in
 * tests/agent-e2e/data-path-health.test.ts and by the bpf fixtures).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, type Server, createServer } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { type BackendHealth, type DataPathProbe, HealthChecker, type HealthTarget, type ProbeRouter } from '../../src/health/index.js';

/* A port outside the ephemeral range, as ProbeSteering reserves (varied per run: a crashed run's socket cannot hold it). */
const PROBE_PORT = 61000 + Math.floor(Math.random() * 4000);

class RecordingRouter implements ProbeRouter {
  readonly asked: { key: string; path: DataPathProbe }[] = [];
  released: string[] = [];
  constructor(readonly port: number) {}
  portFor(key: string, path: DataPathProbe): number {
    this.asked.push({ key, path });
    return this.port;
  }
  release(keys: Iterable<string>): void {
    this.released.push(...keys);
  }
}

/** A "VIP" on loopback that records each connection's remote port. */
async function vipServer(kind: 'tcp' | 'http'): Promise<{ server: Server; port: number; remotePorts: number[] }> {
  const remotePorts: number[] = [];
  const server = kind === 'tcp' ? createServer((socket) => socket.end()) : (createHttpServer((_req, res) => res.writeHead(204).end()) as unknown as Server);
  server.on('connection', (socket) => {
    remotePorts.push(socket.remotePort ?? 0);
    socket.on('error', () => {});
  });
  server.listen({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port, remotePorts };
}

function until(checker: HealthChecker, what: string, condition: (h: BackendHealth) => boolean, timeoutMs = 3000): Promise<BackendHealth> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
    checker.on('check', function onCheck(health: BackendHealth) {
      if (!condition(health)) return;
      clearTimeout(timer);
      checker.off('check', onCheck);
      resolve(health);
    });
  });
}

describe('data-path health probes', () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  for (const kind of ['tcp', 'http'] as const) {
    it(`${kind}: probes VIP:port from the reserved port, three times in a row`, async () => {
      const vip = await vipServer(kind);
      cleanup.push(() => new Promise((r) => vip.server.close(r)));
      const router = new RecordingRouter(PROBE_PORT + (kind === 'http' ? 1 : 0));
      const checker = new HealthChecker({ router, random: () => 0 });
      cleanup.push(() => checker.stop());
      /* The backend's own address has nothing listening: a probe of it would fail. */
      const target: HealthTarget = {
        service: `127.0.0.1:${vip.port}/tcp`,
        endpoint: '127.0.0.2:9',
        address: '127.0.0.2',
        port: 9,
        check: { type: kind, intervalMs: 150, timeoutMs: 100, rise: 1, fall: 1 },
        dataPath: { mode: 'dsr', vip: '127.0.0.1', vipPort: vip.port, backend: '127.0.0.2' },
      };
      checker.setTargets([target]);
      let checks = 0;
      const health = await until(checker, 'three passing checks', (h) => {
        assert.equal(h.lastError, null, 'every probe passes');
        return ++checks === 3;
      });
      assert.equal(health.up, true);
      assert.deepEqual(vip.remotePorts, [router.port, router.port, router.port]);
      assert.deepEqual(router.asked[0], { key: `${target.service}\n${target.endpoint}`, path: target.dataPath });
      assert.deepEqual(router.released, [], 'a target still checked through the data path keeps its port');
    });
  }

  it('without a router a data-path target fails, saying why, though its own address answers', async () => {
    const own = await vipServer('tcp');
    cleanup.push(() => new Promise((r) => own.server.close(r)));
    const checker = new HealthChecker({ random: () => 0 });
    cleanup.push(() => checker.stop());
    checker.setTargets([
      {
        service: '198.18.100.1:80/tcp',
        endpoint: `127.0.0.1:${own.port}`,
        address: '127.0.0.1',
        port: own.port,
        check: { type: 'tcp', intervalMs: 150, timeoutMs: 100, rise: 1, fall: 1 },
        dataPath: { mode: 'gue', vip: '198.18.100.1', vipPort: 80, backend: '127.0.0.1' },
      },
    ]);
    const health = await until(checker, 'a result', () => true);
    assert.equal(health.up, false);
    assert.match(health.lastError ?? '', /gue backend is checked through the data path/);
    assert.equal(own.remotePorts.length, 0, 'its own address was never probed');
  });

  it("a reservation that fails fails the check with the router's reason", async () => {
    const router: ProbeRouter = {
      portFor: () => {
        throw new Error('no free health probe port: all 2 from 61000 are in use');
      },
      release: () => {},
    };
    const checker = new HealthChecker({ router, random: () => 0 });
    cleanup.push(() => checker.stop());
    checker.setTargets([
      {
        service: '198.18.100.1:80/tcp',
        endpoint: '198.19.0.11:80',
        address: '198.19.0.11',
        port: 80,
        check: { type: 'tcp', intervalMs: 150, timeoutMs: 100, rise: 1, fall: 1 },
        dataPath: { mode: 'ipip', vip: '198.18.100.1', vipPort: 80, backend: '198.19.0.11' },
      },
    ]);
    const health = await until(checker, 'a result', () => true);
    assert.equal(health.up, false);
    assert.match(health.lastError ?? '', /no free health probe port/);
  });

  it('removing a data-path target frees its port; nat targets never hold one', async () => {
    const router = new RecordingRouter(PROBE_PORT);
    const checker = new HealthChecker({ router, random: () => 0.99 });
    cleanup.push(() => checker.stop());
    const check = { type: 'tcp' as const, intervalMs: 10_000, timeoutMs: 100, rise: 1, fall: 1 };
    const nat: HealthTarget = { service: 's1', endpoint: '198.19.0.11:80', address: '198.19.0.11', port: 80, check };
    const dsr: HealthTarget = { ...nat, service: 's2', dataPath: { mode: 'dsr', vip: '198.18.100.2', vipPort: 80, backend: '198.19.0.11' } };
    checker.setTargets([nat, dsr]);
    assert.deepEqual(router.released, []);
    checker.setTargets([nat]);
    assert.deepEqual(router.released, ['s2\n198.19.0.11:80']);
    checker.setTargets([{ ...nat, dataPath: { mode: 'dsr', vip: '198.18.100.1', vipPort: 80, backend: '198.19.0.11' } }]);
    checker.setTargets([nat]);
    assert.deepEqual(router.released, ['s2\n198.19.0.11:80', 's1\n198.19.0.11:80'], 'a target that turns nat frees its port');
  });
});
