/* Backend health checks: what the rest of the agent may import. */
export { FIRST_CHECK_SPREAD_MS, FLIP_SERVICES_PER_TURN, HealthChecker, type HealthCheckerOptions } from './health-checker.js';
export type { BackendHealth, DataPathProbe, HealthCheckSpec, HealthTarget, ProbeResult } from './types.js';
export { PROBE_PORT_BASE, detachProbeSteering, type ProbeRouter, ProbeSteering, type ProbeSteeringOptions, type ProbeTunnel } from './probe-steering.js';
export { httpProbe, DEFAULT_EXPECT_STATUS, DEFAULT_HTTP_PATH } from './http-probe.js';
export { tcpProbe } from './tcp-probe.js';
