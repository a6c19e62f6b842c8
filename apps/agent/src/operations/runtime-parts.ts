/*
 * The agent's runtime parts: the health checker, conntrack housekeeping, the
 * stats sampler and the metrics server. Tests replace some of them (a health
 * source they drive by hand, no GC timer) through AgentOptions.parts
 * (test/operations/helpers.ts).
 */
import type { EventEmitter } from 'node:events';
import { ConntrackGc, type EndFlowsReport, type FlowFilter, type FlowView, listFlows, workerFor } from '../conntrack/index.js';
import type { DataplaneMaps } from '@sluice/dataplane';
import { type BackendHealth, HealthChecker, type HealthTarget, ProbeSteering, type ProbeSteeringOptions } from '../health/index.js';
import { EventLoopWatch, type MetricsServer, startMetricsServer } from '../metrics/index.js';
import { type BackendSignalSource, StatsSampler, type StatsIds } from '../stats/index.js';
import { log } from '../log.js';
import { type HostNetwork, KernelNetwork } from '../forwarding/host-network.js';

export type { BackendHealth as BackendHealthStatus, FlowFilter, FlowView, HealthTarget, MetricsServer };

/** What the agent needs of a health checker: HealthChecker, or a test's stand-in. */
export type HealthSource = EventEmitter & Pick<HealthChecker, 'setTargets' | 'setTargetsOf' | 'status' | 'statusOf' | 'isUp' | 'stop'>;

export interface RuntimeParts {
  health: HealthSource;
  /** Idle-flow GC; null runs without it (tests that write flows by hand). */
  conntrack: ConntrackGc | null;
  listFlows: typeof listFlows;
  /** Deletes every flow of these backend ids (off the event loop). */
  endFlows: (maps: DataplaneMaps, backendIds: number[]) => Promise<EndFlowsReport>;
  /** The 1 s sampler; null runs without rates (tests). */
  stats: StatsSampler | null;
  startMetricsServer: typeof startMetricsServer;
  /** The kernel's routes, addresses and neighbours in the agent's namespace (the forwarding modes' checks). */
  network: HostNetwork;
  /** Steers the data-path probes of dsr/ipip/gue backends (attached at egress); null: none (tests, or it failed to load). */
  steering: ProbeSteering | null;
  /** How late the event loop runs (metrics; stalls logged); absent in tests' parts. */
  eventLoop?: EventLoopWatch | null;
}

export interface RuntimePartsOptions {
  maps: DataplaneMaps;
  /** The service and backend ids in use, for the stats sampler. */
  ids: () => StatsIds;
  /** A backend's error signals the data plane does not count (failed handshakes, probe latency, mode), for the sampler. */
  backendSignals?: BackendSignalSource;
  /** The health probes' steering program, attached at egress of the balancer's interfaces (the kernel network is the parts' own). */
  steering?: Omit<ProbeSteeringOptions, 'network'>;
}

/** The parts a running agent uses; probes run from the agent's network namespace (the LB's). */
export function createRuntimeParts(options: RuntimePartsOptions): RuntimeParts {
  const network = new KernelNetwork();
  const steering = options.steering ? startSteering({ ...options.steering, network }) : null;
  const parts: RuntimeParts = {
    health: new HealthChecker(steering ? { router: steering } : {}),
    conntrack: new ConntrackGc(options.maps, { onError: (e: unknown) => log('error', `conntrack GC: ${(e as Error).message}`) }),
    listFlows,
    endFlows: endFlowsOnWorker,
    stats: new StatsSampler(options.maps, { ids: options.ids, ...(options.backendSignals ? { backendSignals: options.backendSignals } : {}) }),
    startMetricsServer,
    network,
    steering,
    eventLoop: new EventLoopWatch((ms) =>
      log('warn', `the event loop stalled for ${Math.round(ms)} ms: no API call, node check, flow sync or change was served meanwhile`),
    ),
  };
  /* An EventEmitter 'error' without a listener would end the agent: log it instead. */
  parts.stats?.on('error', (error: unknown) => log('error', `stats sampler: ${(error as Error).message}`));
  parts.health.on('error', (error: unknown) => log('error', `health checker: ${(error as Error).message}`));
  return parts;
}

/*
 * A steering program that cannot load or attach leaves the agent running:
 * nat checks need none, and each dsr/ipip/gue check then fails saying the
 * data path is not attached (a backend is never called up unprobed).
 */
function startSteering(options: ProbeSteeringOptions): ProbeSteering | null {
  let steering: ProbeSteering | undefined;
  try {
    steering = new ProbeSteering(options);
    steering.attach();
    log('info', `attached the health probes' steering (TC egress) to ${options.interfaces.join(', ')}`);
    return steering;
  } catch (error) {
    steering?.close();
    log('error', `health probes of dsr/ipip/gue backends cannot run (they will fail): ${(error as Error).message}`);
    return null;
  }
}

export function endFlowsOnWorker(maps: DataplaneMaps, backendIds: number[]): Promise<EndFlowsReport> {
  return workerFor(maps).endFlows(backendIds);
}
