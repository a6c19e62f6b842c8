import { z } from 'zod';
import { endpointRefSchema, serviceRefSchema } from '../schemas/service-ref.ts';

/* The sampler keeps one point per second for an hour. */
export const MAX_SERIES_SECONDS = 3600;

export const trafficTotalsSchema = z.object({
  packets: z.number(),
  bytes: z.number(),
  replyPackets: z.number(),
  replyBytes: z.number(),
  newFlows: z.number(),
  drops: z.number(),
  activeFlows: z.number(),
});
export type TrafficTotals = z.infer<typeof trafficTotalsSchema>;

/**
 * Why packets bound for a chosen backend were dropped (enum sluice_backend_drop,
 * lower-case without BACKEND_DROP_): the path to that backend failed. Drops
 * before a backend is chosen are the service's and the balancer's (global).
 */
export const BACKEND_DROP_REASONS = ['dsr_not_on_link', 'dsr_no_neighbour', 'tunnel_no_next_hop', 'too_big', 'too_big_no_df', 'too_big_rate'] as const;
export type BackendDropReason = (typeof BACKEND_DROP_REASONS)[number];

/**
 * A backend's error signals since it was added (the handshake counts: since
 * the agent started). null: not observable in the service's forwarding mode,
 * never a zero that means "unknown":
 *   resets, unansweredSyns  nat only: in dsr/ipip/gue the backend's replies go
 *                           straight to the client, never through the balancer.
 *   incompleteHandshakes    dsr/ipip/gue only: the client never sent the ACK
 *                           completing the handshake (what a backend that
 *                           swallows SYNs looks like from here; a client that
 *                           went away looks the same). In nat the precise
 *                           unansweredSyns says it.
 *   healthLatencyMs         the last health probe's; null without a check or before the first.
 */
export const backendErrorTotalsSchema = z.object({
  drops: z.object(Object.fromEntries(BACKEND_DROP_REASONS.map((reason) => [reason, z.number()])) as Record<BackendDropReason, z.ZodNumber>),
  resets: z.number().nullable(),
  unansweredSyns: z.number().nullable(),
  incompleteHandshakes: z.number().nullable(),
  healthLatencyMs: z.number().nullable(),
});
export type BackendErrorTotals = z.infer<typeof backendErrorTotalsSchema>;

export const statsTotalsOutputSchema = z.object({
  t: z.number(),
  /** Global counters by name (enum sluice_counter, lower-case, e.g. action_pass, drop_no_backend). */
  global: z.record(z.string(), z.number()),
  services: z.array(trafficTotalsSchema.extend({ service: z.string() })),
  backends: z.array(trafficTotalsSchema.extend({ service: z.string(), endpoint: z.string(), errors: backendErrorTotalsSchema })),
});
export type StatsTotals = z.infer<typeof statsTotalsOutputSchema>;

export const statsScopeSchema = z
  .object({
    /** Neither: the whole balancer. service: one service. service + backend: one backend. */
    service: serviceRefSchema.optional(),
    backend: endpointRefSchema.optional(),
  })
  .strict()
  .refine((scope) => !scope.backend || scope.service, { message: 'backend needs its service', path: ['backend'] });
export type StatsScope = z.infer<typeof statsScopeSchema>;

/**
 * A backend's error signals in one point (backend scopes only; see
 * backendErrorTotalsSchema for what null means): packets dropped after it was
 * chosen per second (all reasons), resets per second, failed handshakes per
 * second (unanswered SYNs in nat, incomplete handshakes in dsr/ipip/gue: the
 * GC finds them, so they arrive in bursts every sweep), and the last health
 * probe's latency at that second.
 */
export const backendErrorRatesSchema = z.object({
  dropsPerSec: z.number(),
  resetsPerSec: z.number().nullable(),
  failedHandshakesPerSec: z.number(),
  healthLatencyMs: z.number().nullable(),
});
export type BackendErrorRates = z.infer<typeof backendErrorRatesSchema>;

export const ratePointSchema = z.object({
  t: z.number(),
  pps: z.number(),
  bps: z.number(),
  newFlowsPerSec: z.number(),
  activeFlows: z.number(),
  /** Backend scopes only. */
  errors: backendErrorRatesSchema.optional(),
});
export type RatePoint = z.infer<typeof ratePointSchema>;

export const statsSeriesInputSchema = z
  .object({
    scope: statsScopeSchema.default({}),
    seconds: z.number().int().min(1).max(MAX_SERIES_SECONDS, `seconds must be 1 to ${MAX_SERIES_SECONDS}`).default(300),
  })
  .strict();
export const statsSeriesOutputSchema = z.array(ratePointSchema);

/**
 * One live sample: the newest rate point of the whole balancer, each service
 * and the backends asked for (statsLiveInputSchema); the data plane's global
 * counters at t (as stats.totals gives them); and the agent's change count,
 * which grows whenever the desired state, a backend's health or the audit log
 * changes, so that a screen fed live asks for its lists again only then
 * instead of polling them.
 */
export const statsSampleSchema = z.object({
  t: z.number(),
  total: ratePointSchema,
  services: z.array(ratePointSchema.extend({ service: z.string() })),
  backends: z.array(ratePointSchema.extend({ service: z.string(), endpoint: z.string() })),
  global: z.record(z.string(), z.number()),
  changes: z.number().int().nonnegative(),
});
export type StatsSample = z.infer<typeof statsSampleSchema>;
/**
 * `service`: the backends of that service in each sample; without it, none.
 * Every backend of a large configuration would be a megabyte a second per
 * open screen (4,094 backends), which no screen shows at once.
 */
export const statsLiveInputSchema = z.object({ service: serviceRefSchema.optional() }).strict().optional();
export type StatsLiveInput = z.infer<typeof statsLiveInputSchema>;
