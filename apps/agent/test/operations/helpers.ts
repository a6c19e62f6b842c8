/*
 * A real agent for the API tests: the data plane loaded from
 * bpf/build/sluice.bpf.o with small maps and no interface attached (maps
 * only), pinned in a scratch bpffs, and a real SQLite store in a temp dir.
 * Health is a stand-in the test flips by hand. The agent hides its maps and
 * store; a test looks at them from outside: the maps of the data plane it
 * loaded and handed to the agent (t.maps), and a second connection to the
 * store (t.store).
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Identity, type Role, createAppRouter } from '@sluice/api';
import { Agent, type AgentOptions, type DrainExpired } from '../../src/operations/agent.js';
import { type BackendHealthStatus, type HealthSource, type HealthTarget, type RuntimeParts, endFlowsOnWorker } from '../../src/operations/runtime-parts.js';
import type { Authenticator } from '../../src/auth/authenticator.js';
import { listFlows } from '../../src/conntrack/index.js';
import type { DataplaneMaps } from '@sluice/dataplane';
import { startDataplane } from '../../src/operations/dataplane-owner.js';
import { startMetricsServer } from '../../src/metrics/index.js';
import { KernelNetwork } from '../../src/forwarding/host-network.js';
import { Store } from '../../src/store/index.js';
import { SMALL_MAPS, objectPath, scratchBpffs } from '@sluice/dataplane/test-helpers';

/** The runtime parts for a test: its own health source, conntrack/'s paging and flow ending, no GC or sampler timers. */
export function testRuntimeParts(overrides: Partial<RuntimeParts> & Pick<RuntimeParts, 'health'>): RuntimeParts {
  return {
    conntrack: null,
    listFlows,
    endFlows: endFlowsOnWorker,
    stats: null,
    startMetricsServer,
    network: new KernelNetwork(),
    steering: null,
    ...overrides,
  };
}

/** Health the test controls: setUp(service, endpoint, up) emits 'change' like the real checker. */
export class ManualHealth extends EventEmitter implements HealthSource {
  targets: HealthTarget[] = [];
  readonly down = new Set<string>();
  setTargets(targets: HealthTarget[]): void {
    this.targets = targets;
  }
  setTargetsOf(services: ReadonlySet<string>, targets: HealthTarget[]): void {
    this.targets = [...this.targets.filter((t) => !services.has(t.service)), ...targets];
  }
  status(): BackendHealthStatus[] {
    return this.targets.map((t) => {
      const up = !this.down.has(`${t.service} ${t.endpoint}`);
      return {
        service: t.service,
        endpoint: t.endpoint,
        up,
        pending: false,
        lastCheckAt: Date.now(),
        lastLatencyMs: 0.5,
        lastError: up ? null : 'connection refused',
        consecutiveSuccesses: up ? 3 : 0,
        consecutiveFailures: up ? 0 : 3,
        checkType: t.check.type,
      };
    });
  }
  statusOf(service: string, endpoint: string): BackendHealthStatus | undefined {
    return this.status().find((s) => s.service === service && s.endpoint === endpoint);
  }
  isUp(service: string, endpoint: string): boolean {
    return !this.down.has(`${service} ${endpoint}`);
  }
  set(service: string, endpoint: string, up: boolean): void {
    if (up) this.down.delete(`${service} ${endpoint}`);
    else this.down.add(`${service} ${endpoint}`);
    this.emit('change', this.statusOf(service, endpoint));
  }
  stop(): void {}
}

export const identity = (role: Role, user = `test-${role}`): Identity => ({ user, role, source: 'token' });

export interface TestAgent<H extends HealthSource = ManualHealth> {
  agent: Agent;
  health: H;
  /** The agent's runtime parts: a test may wrap one (e.g. endFlows) to look at the state while it runs. */
  parts: RuntimeParts;
  /** The agent's maps: the data plane the test loaded and gave it. */
  maps: DataplaneMaps;
  /** A second connection to the agent's store, for looking (the agent writes through its operations). */
  store: Store;
  /** Resolves when the drain of (service, endpoint) times out and its flows are ended; rejects after timeoutMs (default 5000). */
  drainExpired(service: string, endpoint: string, timeoutMs?: number): Promise<DrainExpired>;
  api: ReturnType<typeof createAppRouter>;
  as: (role: Role) => ReturnType<ReturnType<typeof createAppRouter>['callerFor']>;
  authenticator: Authenticator;
  dataDir: string;
  pinDir: string;
  /** Stops the agent; with keepState the pins and data dir stay for a restart. */
  stop(options?: { keepState?: boolean }): void;
  /** A new agent on the same pins and store; with a health source, that one (a restart builds a new checker); with options, those. */
  restart(health?: H, options?: Partial<AgentOptions>): Promise<TestAgent<H>>;
}

export interface TestAgentReuse {
  dataDir: string;
  bpffs: ReturnType<typeof scratchBpffs>;
}

/** A test agent with hand-driven health (ManualHealth), or the health source given (e.g. a real HealthChecker). */
export async function startTestAgent(reuse?: TestAgentReuse): Promise<TestAgent>;
export async function startTestAgent<H extends HealthSource>(
  reuse: TestAgentReuse | undefined,
  health: H,
  options?: Partial<AgentOptions>,
): Promise<TestAgent<H>>;
export async function startTestAgent(reuse?: TestAgentReuse, given?: HealthSource, options: Partial<AgentOptions> = {}): Promise<TestAgent<HealthSource>> {
  const bpffs = reuse?.bpffs ?? scratchBpffs();
  const dataDir = reuse?.dataDir ?? mkdtempSync(join(tmpdir(), 'sluice-store-'));
  const health = given ?? new ManualHealth();
  const drains = new EventEmitter();
  const parts = testRuntimeParts({ health });
  /* The load-time settings a restart (an upgrade's new program) takes from its options. */
  const owner = {
    objectPath: objectPath(),
    pinDir: bpffs.dir,
    interfaces: [],
    xdpMode: 'native' as const,
    maxEntries: SMALL_MAPS,
    ...(options.hashSeed !== undefined ? { hashSeed: options.hashSeed } : {}),
  };
  const dataplane = startDataplane(owner);
  const agent = await Agent.start({
    ...owner,
    dataplane,
    dataDir,
    detachOnExit: false,
    maxBackendsPerService: 8,
    /* conntrack/'s paging and flow ending, without its GC timer (tests write flows by hand). */
    parts,
    drainTickMs: 50,
    onDrainExpired: (expired) => drains.emit('expired', expired),
    version: 'test',
    ...options,
  });
  const store = new Store(dataDir);
  const api = createAppRouter(agent);
  const self: TestAgent<HealthSource> = {
    agent,
    health,
    parts,
    maps: dataplane.maps,
    store,
    drainExpired: (service, endpoint, timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          drains.off('expired', seen);
          reject(new Error(`the drain of ${endpoint} (${service}) did not expire within ${timeoutMs} ms`));
        }, timeoutMs);
        function seen(expired: DrainExpired) {
          if (expired.service !== service || expired.endpoint !== endpoint) return;
          clearTimeout(timer);
          drains.off('expired', seen);
          resolve(expired);
        }
        drains.on('expired', seen);
      }),
    api,
    authenticator: agent.authenticator,
    dataDir,
    pinDir: bpffs.dir,
    as: (role) => api.callerFor(identity(role)),
    stop(options = {}) {
      store.close();
      agent.stop();
      if (options.keepState) return;
      bpffs.remove();
      rmSync(dataDir, { recursive: true, force: true });
    },
    async restart(next?: HealthSource, nextOptions?: Partial<AgentOptions>) {
      self.stop({ keepState: true });
      return startTestAgent({ dataDir, bpffs }, next ?? new ManualHealth(), nextOptions);
    },
  };
  return self;
}

/* ---- snapshots: "changed nothing" means these are deep-equal before and after ---- */

function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value)) return value.toString('hex');
  if (value instanceof Uint16Array)
    return createHash('sha256')
      .update(Buffer.from(value.buffer, value.byteOffset, value.byteLength))
      .digest('hex');
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

export function mapsSnapshot(t: Pick<TestAgent<HealthSource>, 'maps'>): unknown {
  const maps = t.maps;
  const sorted = (entries: [unknown, unknown][]) => entries.map(([k, v]) => plain([k, v])).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  return {
    services: sorted([...maps.services.entries()]),
    vips: sorted([...maps.vips.entries()]),
    serviceVips: sorted([...maps.serviceVips.entries()]),
    backends: sorted([...maps.backends.entries()]),
    backendEndpoints: sorted([...maps.backendEndpoints.entries()]),
    endpointFilter: sorted([...maps.endpointFilter.entries()]),
    lookupTables: sorted([...maps.lookupTables.entries()]),
    backendActive: sorted([...maps.backendActive.entries()]),
    flows: sorted([...maps.flows.entries()]),
  };
}

export function storeSnapshot(t: Pick<TestAgent<HealthSource>, 'store'>): unknown {
  const db = t.store.db;
  const all = (table: string) => db.prepare(`SELECT * FROM ${table} ORDER BY 1`).all();
  return {
    services: all('services'),
    backends: all('backends'),
    users: all('users'),
    sessions: all('sessions'),
    apiTokens: all('api_tokens').map((t: any) => ({ ...t, last_used_at: null })),
    audit: all('audit'),
    backendHostReports: all('backend_host_reports'),
    backendHostAddresses: all('backend_host_addresses'),
  };
}

export function snapshot(t: Pick<TestAgent<HealthSource>, 'maps' | 'store'>) {
  return { maps: mapsSnapshot(t), store: storeSnapshot(t) };
}
