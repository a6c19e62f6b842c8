import { z } from 'zod';
import { serviceRefSchema } from '../schemas/service-ref.ts';
import { adminStateSchema } from '../schemas/service.ts';
import { HEALTH_CHECK_TYPES } from '../schemas/health-check.ts';

export const backendHealthSchema = z.object({
  service: z.string(),
  endpoint: z.string(),
  /** The admin state beside the health: a backend gets new flows only when ready and up. */
  state: adminStateSchema,
  checkType: z.enum(HEALTH_CHECK_TYPES),
  up: z.boolean(),
  /** Not checked yet (added while its service has a check): gets no new flows. */
  pending: z.boolean(),
  lastCheckAt: z.number().nullable(),
  lastLatencyMs: z.number().nullable(),
  lastError: z.string().nullable(),
  consecutiveSuccesses: z.number().int(),
  consecutiveFailures: z.number().int(),
  /** In a fleet: the node whose probe the state is (the fleet's elected checker); null: this node's own checker, or none yet. */
  checkedBy: z.string().nullable().default(null),
});
export type BackendHealth = z.infer<typeof backendHealthSchema>;

export const healthListInputSchema = z.object({ service: serviceRefSchema.optional() }).strict().optional();
export const healthListOutputSchema = z.array(backendHealthSchema);

/** A backend flipped up or down. */
export const healthChangeSchema = backendHealthSchema.extend({ t: z.number() });
export type HealthChange = z.infer<typeof healthChangeSchema>;
export const healthChangesInputSchema = z.object({ service: serviceRefSchema.optional() }).strict().optional();
