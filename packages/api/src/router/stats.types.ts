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

export const statsTotalsOutputSchema = z.object({
  t: z.number(),
  /** Global counters by name (enum sluice_counter, lower-case, e.g. action_pass, drop_no_backend). */
  global: z.record(z.string(), z.number()),
  services: z.array(trafficTotalsSchema.extend({ service: z.string() })),
  backends: z.array(trafficTotalsSchema.extend({ service: z.string(), endpoint: z.string() })),
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

export const ratePointSchema = z.object({
  t: z.number(),
  pps: z.number(),
  bps: z.number(),
  newFlowsPerSec: z.number(),
  activeFlows: z.number(),
});
export type RatePoint = z.infer<typeof ratePointSchema>;

export const statsSeriesInputSchema = z
  .object({
    scope: statsScopeSchema.default({}),
    seconds: z.number().int().min(1).max(MAX_SERIES_SECONDS, `seconds must be 1 to ${MAX_SERIES_SECONDS}`).default(300),
  })
  .strict();
export const statsSeriesOutputSchema = z.array(ratePointSchema);

/** One live sample: the newest rate point of the whole balancer, each service and each backend. */
export const statsSampleSchema = z.object({
  t: z.number(),
  total: ratePointSchema,
  services: z.array(ratePointSchema.extend({ service: z.string() })),
  backends: z.array(ratePointSchema.extend({ service: z.string(), endpoint: z.string() })),
});
export type StatsSample = z.infer<typeof statsSampleSchema>;
export const statsLiveInputSchema = z.object({}).strict().optional();
