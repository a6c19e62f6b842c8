/*
 * Everything the console tests set up, named once: our own namespace prefix,
 * pin dir, socket and data dir (so the run never meets the demo, the e2e
 * suite or a benchmark), the console's port, the users and the services.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tagged } from '@sluice/testbed/tag';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const PREFIX = tagged('slcon');
export const STATE_DIR = tagged('/run/sluice-console');
export const PIN_DIR = join(STATE_DIR, 'bpf');
export const AGENT_SOCKET = join(STATE_DIR, 'agent.sock');
export const ADMIN_TOKEN_FILE = join(STATE_DIR, 'admin.token');
export const DATA_DIR = join(STATE_DIR, 'data');
export const AGENT_PID_FILE = join(STATE_DIR, 'agent.pid');
export const AGENT_READY_FILE = join(STATE_DIR, 'agent.ready');
export const AGENT_LOG = join(STATE_DIR, 'agent.log');
export const AUTH_DIR = join(REPO_ROOT, 'test-results/.auth');
export const SCREENSHOT_DIR = join(REPO_ROOT, 'test-results/screenshots');

/* Must match playwright.config.ts, which reads the same variable. */
export const CONSOLE_PORT = Number(process.env.SLUICE_CONSOLE_TEST_PORT ?? 3107);
export const CONSOLE_URL = `http://127.0.0.1:${CONSOLE_PORT}`;

export const BACKENDS = 3;
export const namespace = (role: 'client' | 'lb' | `be${number}`) => `${PREFIX}-${role}`;
/* testbed/README.md: backend i is 198.19.i.2 behind the LB's be<i>. */
export const backendAddress = (i: number) => `198.19.${i}.2`;

/*
 * The client namespace's extra addresses (testbed EXTRA_CLIENTS), one per
 * spec that filters or counts by client: a spec's flows stay in the
 * connection table for their timeout (closed TCP 10 s, UDP 60 s), so a
 * later spec sharing its address would find them.
 */
export const CLIENT_SOURCES = {
  algorithm: '198.18.0.11',
  connections: '198.18.0.13',
  backendFilter: '198.18.0.15',
  clientRate: '198.18.0.14',
  flowStates: '198.18.0.17',
  flowStatesPhone: '198.18.0.18',
  backendErrors: '198.18.0.19',
} as const;

/*
 * The forwarding-modes spec's services, made through the console: one VIP per
 * mode, every backend holds all three on its loopback (lab-backend-hosts.ts).
 * The port is the backends' HTTP port: only nat rewrites the port.
 */
export const MODE_VIPS = { dsr: '198.18.100.5', ipip: '198.18.100.6', gue: '198.18.100.7' } as const;
export type LabMode = keyof typeof MODE_VIPS;
/* The balancer's outer source for ipip/gue: its client-side address, which every backend routes back through the balancer. */
export const TUNNEL_SOURCE4 = '198.18.0.1';
export const GUE_PORT = 6080;
/* Each backend's `sluice backend-host` run directory (its state and a bpffs for its pins, mounted here in the root mount namespace). */
export const backendRunDir = (i: number) => join(STATE_DIR, `backend-be${i}`);

export const ROLES = ['admin', 'operator', 'viewer'] as const;
export type TestRole = (typeof ROLES)[number];
/* Test-only credentials for a throwaway agent data dir. */
export const USERS: Record<TestRole, { user: string; password: string }> = {
  admin: { user: 'con-admin', password: 'admin-password-1' },
  operator: { user: 'con-operator', password: 'operator-password-1' },
  viewer: { user: 'con-viewer', password: 'viewer-password-1' },
};
export const storageStateOf = (role: TestRole) => join(AUTH_DIR, `${role}.json`);

/* Ports of testbed/backend-server.mjs. */
export const HTTP_PORT = 8080;
export const LINE_PORT = 9000;
export const UDP_PORT = 9001;

/* Fast health checks so a backend added in a test is eligible within about a second. */
const FAST_CHECK = { type: 'tcp', intervalMs: 300, timeoutMs: 200, rise: 1, fall: 2 } as const;

export const SERVICES = {
  /** Add-backend and reweight tests: starts with be1 and be2; be3 is added through the UI. */
  web: {
    address: '198.18.100.1',
    port: 80,
    protocol: 'tcp',
    algorithm: 'weighted-round-robin',
    healthCheck: FAST_CHECK,
    backendPort: HTTP_PORT,
    initial: [1, 2],
  },
  /** Drain test: the line protocol, so a held connection can stay open. */
  line: {
    address: '198.18.100.2',
    port: LINE_PORT,
    protocol: 'tcp',
    algorithm: 'round-robin',
    healthCheck: FAST_CHECK,
    backendPort: LINE_PORT,
    initial: [1, 2, 3],
  },
  /** Algorithm switch test. */
  algo: { address: '198.18.100.3', port: 80, protocol: 'tcp', algorithm: 'round-robin', healthCheck: FAST_CHECK, backendPort: HTTP_PORT, initial: [1, 2, 3] },
  /** Many UDP flows for the connection table's timing. */
  flows: {
    address: '198.18.100.4',
    port: UDP_PORT,
    protocol: 'udp',
    algorithm: 'round-robin',
    healthCheck: { type: 'none' },
    backendPort: UDP_PORT,
    initial: [1, 2, 3],
  },
} as const;
export type ServiceKey = keyof typeof SERVICES;
export const serviceName = (key: ServiceKey) => `${SERVICES[key].address}:${SERVICES[key].port}/${SERVICES[key].protocol}`;
export const endpointOf = (key: ServiceKey, backend: number) => `${backendAddress(backend)}:${SERVICES[key].backendPort}`;
export const servicePagePath = (key: ServiceKey) => `/services/${encodeURIComponent(serviceName(key))}`;

export function configDocument() {
  return {
    version: 1,
    services: Object.values(SERVICES).map((s) => ({
      address: s.address,
      port: s.port,
      protocol: s.protocol,
      algorithm: s.algorithm,
      healthCheck: s.healthCheck,
      backends: s.initial.map((i) => ({ address: backendAddress(i), port: s.backendPort, weight: 1 })),
    })),
  };
}
