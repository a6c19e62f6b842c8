/*
 * A fleet for the tests of issue 16: one real etcd (Debian's) in a namespace
 * of the test, reached through a unix socket under the test's directory, and
 * agents in this process (real maps, real SQLite, real etcd client), each
 * with its own data plane. A node can be given a link it reaches etcd
 * through that the test cuts and restores (a unix-socket relay): a node
 * partitioned from the store while the others go on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdFleet, parseStoreAddress } from '@sluice/agent/fleet';
import { ManualHealth, type TestAgent, mapsSnapshot, startTestAgent } from '@sluice/agent/test-agent';
import { type EtcdServer, ensureEtcdNamespace, removeEtcdNamespace, startEtcd, stopEtcd } from '@sluice/testbed/etcd';
import { tagged } from '@sluice/testbed/tag';

export const FLEET_NAMESPACE = tagged('slet');

export interface FleetTestbed {
  dir: string;
  etcd: EtcdServer;
}

/** The endpoints the service's active lookup table gives new flows to: the node's maps, not its API's view. */
export function tableEndpoints(t: Pick<TestAgent, 'agent' | 'maps'>, service: string): string[] {
  const id = t.agent.serviceDataplaneId(service);
  if (id === null) return [];
  const entry = [...t.maps.services.entries()].find(([, v]) => v.id === id);
  if (!entry) return [];
  const table = t.maps.lookupTables.lookup(id * 2 + entry[1].active_table);
  const slots = new Set([...(table?.slots ?? [])].filter((slot) => slot !== 0xffff));
  const placed = t.agent.placement().get(service)?.backends ?? new Map<string, number>();
  return [...placed]
    .filter(([, backendId]) => slots.has(backendId))
    .map(([endpoint]) => endpoint)
    .sort();
}

/**
 * What a node forwards with: its maps as mapsSnapshot() has them, except that
 * of each service's two lookup tables only the active one counts (as its
 * content), not which half holds it nor what the other half still holds. Those
 * are the node's history (each table change flips the half), not its
 * forwarding: a node that lists the fleet again after a gap reaches the same
 * tables in fewer steps than one that followed every change.
 */
export function forwardingSnapshot(t: Pick<TestAgent, 'maps'>): unknown {
  const maps = mapsSnapshot(t) as { services: [unknown, { id: number; active_table: number }][]; lookupTables: [number, unknown][] } & Record<string, unknown>;
  const tables = new Map(maps.lookupTables);
  return {
    ...maps,
    services: maps.services.map(([key, { active_table, ...config }]) => [key, config]),
    lookupTables: maps.services.map(([key, config]) => [key, tables.get(config.id * 2 + config.active_table) ?? null]),
  };
}

/** A node's fleet view, as a viewer reads it. */
export const fleetOf = async (t: Pick<TestAgent, 'as'>) => (await t.as('viewer').node.status()).fleet!;

export async function startFleetTestbed(): Promise<FleetTestbed> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-fleet-'));
  await ensureEtcdNamespace(FLEET_NAMESPACE);
  const etcd = await startEtcd({ namespace: FLEET_NAMESPACE, dir: join(dir, 'etcd') });
  return { dir, etcd };
}

export async function stopFleetTestbed(bed: FleetTestbed | undefined): Promise<void> {
  if (!bed) return;
  await stopEtcd(bed.etcd);
  await removeEtcdNamespace(FLEET_NAMESPACE);
  rmSync(bed.dir, { recursive: true, force: true });
}

/** A relay from a socket of its own to etcd's: cut() drops every connection and refuses new ones until restore(). */
export class CuttableLink {
  readonly path: string;
  #server: Server | undefined;
  readonly #open = new Set<Socket>();

  constructor(
    dir: string,
    name: string,
    private readonly target: string,
  ) {
    this.path = join(dir, `${name}.sock`);
  }

  restore(): Promise<void> {
    rmSync(this.path, { force: true });
    const server = createServer((client) => {
      const upstream = connect(this.target);
      for (const s of [client, upstream]) {
        this.#open.add(s);
        s.on('close', () => this.#open.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    this.#server = server;
    return new Promise((resolve) => server.listen(this.path, resolve));
  }

  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#open) s.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
    rmSync(this.path, { force: true });
  }
}

export interface FleetNodeOptions {
  node: string;
  /** The socket the node dials (a CuttableLink's path); default etcd's own. */
  socket?: string;
  agent?: Parameters<typeof startTestAgent>[2];
  log?: string[];
}

/** The agent option that makes a node one of the fleet (short lease and retry, so the tests wait little). */
export function fleetOption(bed: FleetTestbed, options: Omit<FleetNodeOptions, 'agent'> & { startWaitMs?: number }) {
  const address = parseStoreAddress(`etcd+unix://${options.socket ?? bed.etcd.socket}`);
  if (address.kind !== 'etcd') throw new Error('not an etcd address');
  const lines = options.log;
  return {
    ...(options.startWaitMs !== undefined ? { startWaitMs: options.startWaitMs } : {}),
    connect: (compat: ConstructorParameters<typeof EtcdFleet>[0]['compat']) =>
      new EtcdFleet({
        address,
        node: options.node,
        version: 'test',
        compat,
        leaseTtlSeconds: 2,
        retryMs: 200,
        log: (level, message) => lines?.push(`${options.node} ${level}: ${message}`),
      }),
  };
}

/** An agent in this process whose desired state is the fleet's. */
export function startFleetNode(bed: FleetTestbed, options: FleetNodeOptions): Promise<TestAgent> {
  return startTestAgent(undefined, new ManualHealth(), { ...options.agent, fleet: fleetOption(bed, options) });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns true; throws with `what` after timeoutMs. Returns the ms it took. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (await check()) return performance.now() - started;
    await sleep(5);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}
