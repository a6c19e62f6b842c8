/* The agent's implementation of the API contract (SluiceBackend), one module per area. */
import type { SluiceBackend } from '@sluice/api';
import type { Agent } from './agent.js';
import type { Authenticator } from '../auth/authenticator.js';
import { authApi } from './auth.js';
import { backendsApi } from './backends.js';
import { configApi } from './config.js';
import { connectionsApi } from './connections.js';
import { healthApi } from './health.js';
import { servicesApi } from './services.js';
import { statsApi } from './stats.js';

export interface AgentInfoSource {
  version: string;
  interfaces: string[];
  pinDir: string;
  dataDir: string;
}

export function createSluiceBackend(agent: Agent, authenticator: Authenticator, info: AgentInfoSource): SluiceBackend {
  return {
    agent: {
      info: () => ({
        version: info.version,
        pid: process.pid,
        startedAt: agent.startedAt,
        interfaces: info.interfaces,
        pinDir: info.pinDir,
        dataDir: info.dataDir,
        adoptedMaps: agent.dataplane.adoptedMaps.length,
        limits: { ...agent.reconciler.limits, flowTableSize: agent.dataplane.maps.flows.maxEntries },
      }),
    },
    services: servicesApi(agent),
    backends: backendsApi(agent),
    connections: connectionsApi(agent),
    stats: statsApi(agent),
    health: healthApi(agent),
    audit: { list: (input) => agent.store.audit.list(input) },
    auth: authApi(agent, authenticator),
    config: configApi(agent),
  };
}

export { importConfig } from './config.js';
