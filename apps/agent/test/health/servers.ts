/* Loopback servers the health tests stop and start. */
import { type Server, type Socket, createServer as createTcpServer } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventEmitter } from 'node:events';

export interface TestServer {
  port: number;
  /** performance.now() of each accepted connection. */
  connections: number[];
  /** Resolves once `count` connections were accepted in all; rejects after timeoutMs. */
  connected(count: number, timeoutMs?: number): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

function controllable(make: () => Server, fixedPort = 0): TestServer {
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  const accepted = new EventEmitter();
  const self: TestServer = {
    port: fixedPort,
    connections: [],
    connected(count, timeoutMs = 2000) {
      if (self.connections.length >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          accepted.off('connection', onConnection);
          reject(new Error(`${self.connections.length} of ${count} connections within ${timeoutMs} ms`));
        }, timeoutMs);
        function onConnection() {
          if (self.connections.length < count) return;
          clearTimeout(timer);
          accepted.off('connection', onConnection);
          resolve();
        }
        accepted.on('connection', onConnection);
      });
    },
    async start() {
      server = make();
      server.on('connection', (socket: Socket) => {
        self.connections.push(performance.now());
        accepted.emit('connection');
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => {});
      });
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen({ host: '127.0.0.1', port: self.port }, () => resolve());
      });
      self.port = (server.address() as AddressInfo).port;
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      server = undefined;
    },
  };
  return self;
}

export async function tcpServer(): Promise<TestServer> {
  const s = controllable(() => createTcpServer((socket) => socket.end()));
  await s.start();
  return s;
}

export async function httpServer(status: () => number): Promise<TestServer> {
  const s = controllable(() => createHttpServer((_req, res) => res.writeHead(status(), { 'Content-Type': 'text/plain' }).end('ok\n')));
  await s.start();
  return s;
}

/** Accepts connections and never says a word. */
export async function silentServer(): Promise<TestServer> {
  const s = controllable(() => createTcpServer(() => {}));
  await s.start();
  return s;
}
