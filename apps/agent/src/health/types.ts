/* What the health checker is told to check and what it reports. */

export interface HealthCheckSpec {
  type: 'tcp' | 'http' | 'none';
  intervalMs: number;
  /** Each probe is abandoned after this; keep it <= intervalMs (see health-checker.ts). */
  timeoutMs: number;
  /** Successes in a row that bring a down backend up. */
  rise: number;
  /** Failures in a row that take an up backend down. */
  fall: number;
  /** HTTP: the path to GET (default "/"). */
  path?: string;
  /** HTTP: inclusive range of healthy statuses (default [200, 399]). */
  expectStatus?: [number, number];
}

/**
 * A dsr/ipip/gue backend is probed through the data path: at the VIP, sent
 * on by the health_steer program as the balancer sends clients' packets
 * (probe-steering.ts).
 */
export interface DataPathProbe {
  mode: 'dsr' | 'ipip' | 'gue';
  vip: string;
  vipPort: number;
  /** The backend's own address (the DSR next hop, the tunnel's outer destination). */
  backend: string;
}

export interface HealthTarget {
  /** Service name, e.g. "198.18.100.1:80/tcp". */
  service: string;
  /** Backend endpoint, e.g. "198.18.1.1:8080". */
  endpoint: string;
  address: string;
  port: number;
  check: HealthCheckSpec;
  /** Set for a backend of a dsr/ipip/gue service: probe VIP:port through the data path, not address:port. */
  dataPath?: DataPathProbe;
  /**
   * Health before the first result, when known (whether the running data
   * plane gives it flows). Unset: pending, no flows until a check passes.
   */
  initialUp?: boolean;
}

export interface BackendHealth {
  service: string;
  endpoint: string;
  checkType: HealthCheckSpec['type'];
  /** Gets new flows (if its admin state is ready). Never while pending. */
  up: boolean;
  /** Not checked yet and no state known from before: not up. */
  pending: boolean;
  /** Epoch ms of the last finished probe. */
  lastCheckAt: number | null;
  lastLatencyMs: number | null;
  lastError: string | null;
  consecutiveSuccesses: number;
  consecutiveFailures: number;
  /** In a fleet: the node whose probe published this state (fleet/fleet-health.ts); unset: this node's own checker. */
  checkedBy?: string | null;
}

/** One probe's outcome. */
export interface ProbeResult {
  ok: boolean;
  latencyMs: number;
  error: string | null;
}
