import { z } from 'zod';

/*
 * Health-check settings, one set per service, applied to each of its
 * backends. A backend is marked down after `fall` failures in a row and up
 * after `rise` successes, so detection takes at most intervalMs * fall + timeoutMs.
 */
export const HEALTH_CHECK_TYPES = ['tcp', 'http', 'none'] as const;
export type HealthCheckType = (typeof HEALTH_CHECK_TYPES)[number];

/* Faster than this and probes become load; slower and failover stops meaning anything. */
export const HEALTH_INTERVAL_MS = { min: 100, max: 300_000 } as const;
export const HEALTH_TIMEOUT_MS = { min: 50, max: 60_000 } as const;
export const HEALTH_THRESHOLD = { min: 1, max: 100 } as const;

const int = (what: string, { min, max }: { min: number; max: number }) =>
  z
    .number({ message: `${what} must be a number` })
    .int(`${what} must be a whole number`)
    .min(min, `${what} must be ${min} to ${max}`)
    .max(max, `${what} must be ${min} to ${max}`);

const statusCode = int('status code', { min: 100, max: 599 });

export const healthCheckFields = {
  type: z.enum(HEALTH_CHECK_TYPES, { message: `check type must be one of ${HEALTH_CHECK_TYPES.join(', ')}` }),
  intervalMs: int('intervalMs', HEALTH_INTERVAL_MS),
  timeoutMs: int('timeoutMs', HEALTH_TIMEOUT_MS),
  rise: int('rise', HEALTH_THRESHOLD),
  fall: int('fall', HEALTH_THRESHOLD),
  /** HTTP only: the path to GET. */
  path: z.string().startsWith('/', 'path must start with /').max(1024).optional(),
  /** HTTP only: inclusive range of statuses counted as healthy. */
  expectStatus: z.tuple([statusCode, statusCode]).optional(),
};

export const DEFAULT_HEALTH_CHECK = {
  intervalMs: 2000,
  timeoutMs: 1000,
  rise: 2,
  fall: 3,
} as const;
export const DEFAULT_HTTP_PATH = '/';
export const DEFAULT_EXPECT_STATUS: [number, number] = [200, 399];

function checkConsistent(check: { timeoutMs?: number; intervalMs?: number; expectStatus?: [number, number] }, ctx: z.RefinementCtx) {
  if (check.timeoutMs !== undefined && check.intervalMs !== undefined && check.timeoutMs > check.intervalMs)
    ctx.addIssue({ code: 'custom', path: ['timeoutMs'], message: `timeoutMs ${check.timeoutMs} exceeds intervalMs ${check.intervalMs}` });
  if (check.expectStatus && check.expectStatus[0] > check.expectStatus[1])
    ctx.addIssue({ code: 'custom', path: ['expectStatus'], message: 'expectStatus must be [min, max] with min <= max' });
}

/** The full settings, as stored and reported. */
export const healthCheckSchema = z.object(healthCheckFields).strict().superRefine(checkConsistent);
export type HealthCheckSpec = z.infer<typeof healthCheckSchema>;

/** Any subset, merged over the current (or default) settings by the agent and then checked whole. */
export const healthCheckPatchSchema = z.object(healthCheckFields).partial().strict().superRefine(checkConsistent);
export type HealthCheckPatch = z.infer<typeof healthCheckPatchSchema>;

/** TCP services default to a TCP connect check; UDP has no generic probe, so none. */
export function defaultHealthCheck(protocol: 'tcp' | 'udp'): HealthCheckSpec {
  return { type: protocol === 'tcp' ? 'tcp' : 'none', ...DEFAULT_HEALTH_CHECK };
}

export function mergeHealthCheck(base: HealthCheckSpec, patch: HealthCheckPatch): HealthCheckSpec {
  const merged: HealthCheckSpec = { ...base, ...patch };
  if (merged.type === 'http') {
    merged.path ??= DEFAULT_HTTP_PATH;
    merged.expectStatus ??= DEFAULT_EXPECT_STATUS;
  }
  return merged;
}
