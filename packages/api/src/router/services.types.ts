import { z } from 'zod';
import { ipAddressSchema, portSchema } from '../schemas/address.ts';
import { healthCheckPatchSchema, healthCheckSchema } from '../schemas/health-check.ts';
import { serviceRefSchema } from '../schemas/service-ref.ts';
import { algorithmSchema, clientRateSchema, forwardingModeSchema, protocolSchema } from '../schemas/service.ts';
import { backendAddInputFields, backendViewSchema } from './backends.types.ts';

export const serviceViewSchema = z.object({
  /** "VIP:PORT/PROTO": the service's name everywhere in the API. */
  name: z.string(),
  address: z.string(),
  port: z.number().int(),
  protocol: protocolSchema,
  algorithm: algorithmSchema,
  mode: forwardingModeSchema,
  /** New connections per client address per second; 0: no limit. */
  clientRate: z.number().int(),
  healthCheck: healthCheckSchema,
  /** Index in the data plane's maps; null until the reconciler has placed it. */
  dataplaneId: z.number().int().nullable(),
  backendCount: z.number().int(),
  /** Backends that are ready and up: the ones that get new flows. */
  eligibleBackends: z.number().int(),
  activeFlows: z.number().int(),
  /** activeFlows is an estimate: the mode's replies bypass the balancer (see BackendView.activeIsEstimate). */
  activeIsEstimate: z.boolean(),
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
});
export type ServiceView = z.infer<typeof serviceViewSchema>;

export const serviceDetailSchema = serviceViewSchema.extend({ backends: z.array(backendViewSchema) });
export type ServiceDetail = z.infer<typeof serviceDetailSchema>;

export const serviceListInputSchema = z.object({}).strict().optional();
export const serviceListOutputSchema = z.array(serviceViewSchema);

export const serviceGetInputSchema = z.object({ service: serviceRefSchema }).strict();

export const serviceCreateInputSchema = z
  .object({
    address: ipAddressSchema,
    port: portSchema,
    protocol: protocolSchema,
    algorithm: algorithmSchema.default('round-robin'),
    mode: forwardingModeSchema.default('nat'),
    /** New connections per client address per second beyond which the data plane drops a client's; 0: no limit. */
    clientRate: clientRateSchema.default(0),
    /** Omitted: TCP connect for tcp services, none for udp. */
    healthCheck: healthCheckPatchSchema.optional(),
    /** Backends to create with the service, in the same transaction. */
    backends: z.array(z.object(backendAddInputFields).strict()).max(1024).default([]),
  })
  .strict();
export type ServiceCreateInput = z.infer<typeof serviceCreateInputSchema>;

export const serviceUpdateInputSchema = z
  .object({
    service: serviceRefSchema,
    algorithm: algorithmSchema.optional(),
    mode: forwardingModeSchema.optional(),
    clientRate: clientRateSchema.optional(),
    /** Merged over the current settings. */
    healthCheck: healthCheckPatchSchema.optional(),
  })
  .strict();
export type ServiceUpdateInput = z.infer<typeof serviceUpdateInputSchema>;

export const serviceDeleteInputSchema = z
  .object({
    service: serviceRefSchema,
    /** Delete even while backends carry active flows (those flows are then broken). */
    force: z.boolean().default(false),
  })
  .strict();
export type ServiceDeleteInput = z.infer<typeof serviceDeleteInputSchema>;

export const serviceDeleteOutputSchema = z.object({ deleted: z.string(), flowsEnded: z.number().int() });
