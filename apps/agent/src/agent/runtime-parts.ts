/*
 * The parts another engineer builds (health/, conntrack/, stats/, metrics/),
 * seen through the interfaces agreed for them. The agent loads them if they
 * are present and otherwise runs with the stand-ins below, so the control
 * plane works (and is tested) on its own: without a health checker every
 * backend counts as up; without a sampler, rates are empty.
 */
import { EventEmitter } from 'node:events';
import type { HealthCheckSpec, RatePoint } from '@sluice/api';
import type { DataplaneMaps } from '../dataplane/index.js';
import { log } from './log.js';

export interface HealthTarget {
  service: string;
  endpoint: string;
  address: string;
  port: number;
  check: HealthCheckSpec;
}

export interface BackendHealthStatus {
  service: string;
  endpoint: string;
  up: boolean;
  lastCheckAt: number | null;
  lastLatencyMs: number | null;
  lastError: string | null;
  consecutiveSuccesses: number;
  consecutiveFailures: number;
}

/** health/: emits 'change' (BackendHealthStatus) when a backend flips. */
export interface HealthSource extends EventEmitter {
  setTargets(targets: HealthTarget[]): void;
  status(): BackendHealthStatus[];
  isUp(service: string, endpoint: string): boolean;
  stop(): void;
}

export interface FlowFilter {
  serviceId?: number;
  backendId?: number;
  clientAddress?: string;
  protocol?: 'tcp' | 'udp';
  state?: 'none' | 'syn-sent' | 'established' | 'fin-wait' | 'closed';
}

export interface RawFlowView {
  clientAddress: string;
  clientPort: number;
  vipAddress: string;
  vipPort: number;
  backendAddress: string;
  backendPort: number;
  protocol: 'tcp' | 'udp';
  state: string;
  ageMs: number;
  idleMs: number;
  packets: number | bigint;
  bytes: number | bigint;
  replyPackets: number | bigint;
  replyBytes: number | bigint;
  serviceId: number;
  backendId: number;
}

export type ListFlows = (
  maps: DataplaneMaps,
  filter: FlowFilter,
  cursor: string | undefined,
  limit: number,
) => { items: RawFlowView[]; nextCursor: string | null };

/** conntrack/: idle-timeout GC that keeps backend_active exact. */
export interface ConntrackSource {
  start(): void;
  stop(): void;
}

/** What conntrack/'s endFlows shows a predicate of each forward flow. */
export interface FlowSummaryLike {
  readonly serviceId: number;
  readonly backendId: number;
}

/** Deletes the matching flows (both entries) and takes open ones off backend_active. */
export type EndFlows = (maps: DataplaneMaps, predicate: (flow: FlowSummaryLike) => boolean) => { ended: number };

export interface StatsScopeIds {
  service?: number;
  backend?: number;
}

/** stats/: emits 'sample' each second. */
export interface StatsSource extends EventEmitter {
  start(): void;
  stop(): void;
  totals(): unknown;
  series(scope: StatsScopeIds, seconds: number): RatePoint[];
}

export interface MetricsServerHandle {
  close(): unknown;
}

/** metrics/: GET /metrics; collect() is called once per scrape. */
export type StartMetricsServer = (options: { host: string; port: number; collect: () => unknown }) => Promise<MetricsServerHandle>;

export interface RuntimeParts {
  health: HealthSource;
  conntrack: ConntrackSource | null;
  listFlows: ListFlows | null;
  endFlows: EndFlows | null;
  stats: StatsSource | null;
  startMetricsServer: StartMetricsServer | null;
}

/** Every backend up, no probing: what the agent does without health/. */
export class AlwaysUpHealth extends EventEmitter implements HealthSource {
  #targets: HealthTarget[] = [];
  setTargets(targets: HealthTarget[]): void {
    this.#targets = targets;
  }
  status(): BackendHealthStatus[] {
    return this.#targets.map((t) => ({
      service: t.service,
      endpoint: t.endpoint,
      up: true,
      lastCheckAt: null,
      lastLatencyMs: null,
      lastError: null,
      consecutiveSuccesses: 0,
      consecutiveFailures: 0,
    }));
  }
  isUp(): boolean {
    return true;
  }
  stop(): void {}
}

/** The module, or null if it does not exist yet; a module that exists but fails to load is an error. */
async function optionalImport(path: string): Promise<Record<string, any> | null> {
  const url = new URL(path, import.meta.url);
  try {
    return (await import(url.href)) as Record<string, any>;
  } catch (error) {
    const missing =
      (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' &&
      String((error as Error).message).includes(url.pathname.replace(/\.js$/, ''));
    if (missing) return null;
    throw error;
  }
}

export interface RuntimePartsOptions {
  maps: DataplaneMaps;
  /** The service and backend ids in use, for the stats sampler. */
  ids: () => { services: number[]; backends: number[] };
  /** Health probes run from the agent's network namespace (the LB's). */
  health?: boolean;
  conntrack?: boolean;
  stats?: boolean;
}

/** Loads whatever of health/, conntrack/, stats/, metrics/ exists. */
export async function loadRuntimeParts(options: RuntimePartsOptions): Promise<RuntimeParts> {
  const [healthModule, conntrackModule, statsModule, metricsModule] = await Promise.all([
    options.health === false ? null : optionalImport('../health/index.js'),
    options.conntrack === false ? null : optionalImport('../conntrack/index.js'),
    options.stats === false ? null : optionalImport('../stats/index.js'),
    optionalImport('../metrics/index.js'),
  ]);
  const parts: RuntimeParts = {
    health: healthModule?.HealthChecker ? new healthModule.HealthChecker({}) : new AlwaysUpHealth(),
    conntrack: conntrackModule?.ConntrackGc
      ? new conntrackModule.ConntrackGc(options.maps, { onError: (e: unknown) => log('error', `conntrack GC: ${(e as Error).message}`) })
      : null,
    listFlows: conntrackModule?.listFlows ?? null,
    endFlows: conntrackModule?.endFlows ?? null,
    stats: statsModule?.StatsSampler ? new statsModule.StatsSampler(options.maps, { ids: options.ids }) : null,
    startMetricsServer: metricsModule?.startMetricsServer ?? null,
  };
  /* An EventEmitter 'error' without a listener would end the agent: log it instead. */
  parts.stats?.on('error', (error: unknown) => log('error', `stats sampler: ${(error as Error).message}`));
  parts.health.on('error', (error: unknown) => log('error', `health checker: ${(error as Error).message}`));
  const missing = [
    !healthModule?.HealthChecker && 'health (every backend counts as up)',
    !parts.conntrack && 'conntrack GC',
    !parts.stats && 'stats sampler',
  ].filter(Boolean);
  if (missing.length) log('warn', `running without: ${missing.join(', ')}`);
  return parts;
}
