import { z } from 'zod';
import { ipAddressSchema, portSchema } from '../schemas/address.ts';
import { endpointRefSchema, serviceRefSchema } from '../schemas/service-ref.ts';
import { adminStateSchema, weightSchema } from '../schemas/service.ts';

/* A drain that never ends on its own is allowed (no timeout); a week bounds typos. */
export const MAX_DRAIN_TIMEOUT_MS = 7 * 24 * 3600 * 1000;
export const drainTimeoutSchema = z
  .number({ message: 'drainTimeoutMs must be a number' })
  .int('drainTimeoutMs must be a whole number')
  .min(0, `drainTimeoutMs must be 0 to ${MAX_DRAIN_TIMEOUT_MS}`)
  .max(MAX_DRAIN_TIMEOUT_MS, `drainTimeoutMs must be 0 to ${MAX_DRAIN_TIMEOUT_MS}`);

/* One bulk call touches at most this many backends: bounded work per transaction. */
export const MAX_BULK_BACKENDS = 1024;

export const backendHealthViewSchema = z.object({
  /** Gets new flows (when ready). False while pending. */
  up: z.boolean(),
  /** Added while its service has a check and not checked yet: no new flows until its first check passes. */
  pending: z.boolean(),
  lastCheckAt: z.number().nullable(),
  lastLatencyMs: z.number().nullable(),
  lastError: z.string().nullable(),
  consecutiveSuccesses: z.number().int(),
  consecutiveFailures: z.number().int(),
});
export type BackendHealthView = z.infer<typeof backendHealthViewSchema>;

export const drainViewSchema = z.object({
  startedAt: z.number().int(),
  /** null: no timeout; the backend drains until its flows end by themselves. */
  timeoutMs: z.number().int().nullable(),
  /** When remaining flows are ended; null without a timeout. */
  deadline: z.number().int().nullable(),
  /** The timeout passed and the remaining flows were ended. */
  expired: z.boolean(),
});

export const backendViewSchema = z.object({
  service: z.string(),
  /** "ADDR:PORT" ("[ADDR]:PORT" for IPv6): the backend's name within its service. */
  endpoint: z.string(),
  address: z.string(),
  port: z.number().int(),
  weight: z.number().int(),
  state: adminStateSchema,
  /** ready and up: gets new flows. */
  eligible: z.boolean(),
  /** null when the service has no health check (type none): always up. */
  health: backendHealthViewSchema.nullable(),
  activeFlows: z.number().int(),
  /**
   * True when the service's mode lets replies bypass the balancer (dsr, ipip,
   * gue): activeFlows then comes from the client's packets alone (SYN, FIN,
   * RST, idle timeouts), so it is an estimate, as IPVS's are in DR and TUN.
   */
  activeIsEstimate: z.boolean(),
  drain: drainViewSchema.nullable(),
  dataplaneId: z.number().int().nullable(),
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
});
export type BackendView = z.infer<typeof backendViewSchema>;

/**
 * A service's counts from its backend rows: the agent's service views and
 * the console's header use this one function on the same rows, so the
 * header never says "4 of 4 eligible" beside a row that says down.
 */
export function backendCounts(backends: readonly Pick<BackendView, 'eligible' | 'activeFlows'>[]) {
  return {
    backendCount: backends.length,
    eligibleBackends: backends.filter((b) => b.eligible).length,
    activeFlows: backends.reduce((sum, b) => sum + b.activeFlows, 0),
  };
}

export const backendAddInputFields = {
  address: ipAddressSchema,
  port: portSchema,
  weight: weightSchema.default(1),
  state: adminStateSchema.default('ready'),
};

export const backendListInputSchema = z.object({ service: serviceRefSchema }).strict();
export const backendListOutputSchema = z.array(backendViewSchema);

export const backendAddInputSchema = z.object({ service: serviceRefSchema, ...backendAddInputFields }).strict();
export type BackendAddInput = z.infer<typeof backendAddInputSchema>;

export const backendRefFields = { service: serviceRefSchema, endpoint: endpointRefSchema };

export const backendSetWeightInputSchema = z.object({ ...backendRefFields, weight: weightSchema }).strict();
export type BackendSetWeightInput = z.infer<typeof backendSetWeightInputSchema>;

export const backendSetStateInputSchema = z
  .object({
    ...backendRefFields,
    state: adminStateSchema,
    /** drain only: end the flows still open after this long. */
    drainTimeoutMs: drainTimeoutSchema.optional(),
  })
  .strict();
export type BackendSetStateInput = z.infer<typeof backendSetStateInputSchema>;

export const backendRemoveInputSchema = z
  .object({
    ...backendRefFields,
    /** Remove even with active flows; they are ended (their flow entries deleted). */
    force: z.boolean().default(false),
  })
  .strict();
export type BackendRemoveInput = z.infer<typeof backendRemoveInputSchema>;
/** flowsEnded: open connections cut; closedEntriesRemoved: entries of connections already closed, removed with them (they cut nothing). */
export const backendRemoveOutputSchema = z.object({ removed: z.string(), flowsEnded: z.number().int(), closedEntriesRemoved: z.number().int() });

export const bulkActionSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('setState'), state: adminStateSchema, drainTimeoutMs: drainTimeoutSchema.optional() }).strict(),
  z.object({ action: z.literal('setWeight'), weight: weightSchema }).strict(),
  z.object({ action: z.literal('remove'), force: z.boolean().default(false) }).strict(),
]);

/** All or nothing: if one backend is refused, none changes. */
export const backendBulkInputSchema = z
  .object({
    service: serviceRefSchema,
    endpoints: z
      .array(endpointRefSchema)
      .min(1, 'name at least one backend')
      .max(MAX_BULK_BACKENDS, `at most ${MAX_BULK_BACKENDS} backends per bulk call`)
      .refine((list) => new Set(list).size === list.length, 'a backend is named twice'),
    change: bulkActionSchema,
  })
  .strict();
export type BackendBulkInput = z.infer<typeof backendBulkInputSchema>;

export const backendBulkOutputSchema = z.object({
  /** Backends after the change (removed ones are absent). */
  backends: z.array(backendViewSchema),
  removed: z.array(z.string()),
  flowsEnded: z.number().int(),
  closedEntriesRemoved: z.number().int(),
});

export const backendWatchInputSchema = z.object({ service: serviceRefSchema, intervalMs: z.number().int().min(250).max(60_000).default(1000) }).strict();
