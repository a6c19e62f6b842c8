// A packet fixture: a description, the input frame, and the expected action,
// output frame and reason, run in order through BPF_PROG_TEST_RUN.
import type { DataplaneMaps } from '@sluice/dataplane';
import type { Reconciler } from '@sluice/agent/reconciler';
import type { Expectation } from './expect.ts';
import type { ChoiceModel } from './model.ts';
import type { PacketSpec } from '@sluice/dataplane/test-packets';
import { type ServiceFixture, ALL_SERVICES, configOf, type Endpoint } from './services.ts';
import { writeModes, writeTunnelSettings } from './modes.ts';
import { formatEndpoint, serviceName } from '@sluice/api';

export interface FixtureEnv {
  maps: DataplaneMaps;
  model: ChoiceModel;
  /** Current desired state; change it with reconfigure(). */
  services: Record<string, ServiceFixture>;
  reconfigure(change: (services: Record<string, ServiceFixture>) => void): void;
  markDown(service: ServiceFixture, backend: Endpoint): void;
  markUp(service: ServiceFixture, backend: Endpoint): void;
  /** Remember a value across fixtures (e.g. the backend a flow got). */
  memo: Map<string, Endpoint>;
  /** Per-service traffic of services removed by reconfigure() (their counters go with them), for the totals check. */
  removedTraffic: Record<TrafficField, bigint>;
}

export type TrafficField = 'packets' | 'reply_packets' | 'new_flows';

export interface Fixture {
  name: string;
  /** Arrives on the client-facing (default) or backend-facing interface. */
  ingress?: 'client' | 'backend';
  before?: (env: FixtureEnv) => void;
  /** Undo what `before` changed outside the maps (runs even if the fixture fails). */
  after?: (env: FixtureEnv) => void;
  input: PacketSpec | Buffer | ((env: FixtureEnv) => PacketSpec | Buffer);
  expect: Expectation | ((env: FixtureEnv) => Expectation);
  /** What the packet must have left in the maps (flow state, counters), checked after the run. */
  check?: (env: FixtureEnv) => void;
}

export function createEnv(maps: DataplaneMaps, model: ChoiceModel, reconciler: Reconciler): FixtureEnv {
  const services = structuredClone(ALL_SERVICES);
  const down = new Set<string>();
  const removedTraffic: Record<TrafficField, bigint> = { packets: 0n, reply_packets: 0n, new_flows: 0n };
  const apply = () => {
    const before = new Map([...maps.services.values()].map((config) => [config.id, maps.serviceCounters.lookupSum(config.id)]));
    reconciler.apply(configOf(services), (service, endpoint) => !down.has(`${service} ${endpoint}`));
    writeModes(maps, services);
    const after = new Set([...maps.services.values()].map((config) => config.id));
    for (const [id, counts] of before) {
      if (after.has(id) || !counts) continue;
      for (const field of Object.keys(removedTraffic) as TrafficField[]) removedTraffic[field] += counts[field];
    }
  };
  writeTunnelSettings(maps);
  const keyOf = (service: ServiceFixture, backend: Endpoint) => `${serviceName(service)} ${formatEndpoint(backend.address, backend.port)}`;
  apply();
  return {
    maps,
    model,
    services,
    memo: new Map(),
    removedTraffic,
    reconfigure(change) {
      change(services);
      apply();
    },
    markDown(service, backend) {
      down.add(keyOf(service, backend));
      apply();
    },
    markUp(service, backend) {
      down.delete(keyOf(service, backend));
      apply();
    },
  };
}
