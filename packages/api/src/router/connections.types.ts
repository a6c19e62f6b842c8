import { z } from 'zod';
import { ipAddressSchema } from '../schemas/address.ts';
import { endpointRefSchema, serviceRefSchema } from '../schemas/service-ref.ts';
import { protocolSchema } from '../schemas/service.ts';

export const FLOW_STATES = ['none', 'syn-sent', 'established', 'fin-wait', 'closed'] as const;
export const flowStateSchema = z.enum(FLOW_STATES, { message: `state must be one of ${FLOW_STATES.join(', ')}` });

/* A page is bounded so that no reply carries the whole (up to 1M-flow) table. */
export const MAX_FLOW_PAGE = 1000;
export const DEFAULT_FLOW_PAGE = 100;

export const connectionListInputSchema = z
  .object({
    service: serviceRefSchema.optional(),
    /** Backend endpoint; with `service` it names one backend, alone any backend with that endpoint. */
    backend: endpointRefSchema.optional(),
    client: ipAddressSchema.optional(),
    protocol: protocolSchema.optional(),
    state: flowStateSchema.optional(),
    /** Opaque: the nextCursor of the previous page. */
    cursor: z.string().max(512).optional(),
    limit: z
      .number()
      .int(`limit must be a whole number 1 to ${MAX_FLOW_PAGE}`)
      .min(1, `limit must be 1 to ${MAX_FLOW_PAGE}`)
      .max(MAX_FLOW_PAGE, `limit must be 1 to ${MAX_FLOW_PAGE}`)
      .default(DEFAULT_FLOW_PAGE),
  })
  .strict();
export type ConnectionListInput = z.infer<typeof connectionListInputSchema>;

export const flowViewSchema = z.object({
  clientAddress: z.string(),
  clientPort: z.number().int(),
  vipAddress: z.string(),
  vipPort: z.number().int(),
  backendAddress: z.string(),
  backendPort: z.number().int(),
  protocol: protocolSchema,
  state: flowStateSchema,
  ageMs: z.number(),
  idleMs: z.number(),
  packets: z.number(),
  bytes: z.number(),
  replyPackets: z.number(),
  replyBytes: z.number(),
  /** Names resolved by the agent (null when the id no longer names one). */
  service: z.string().nullable(),
  backend: z.string().nullable(),
  serviceId: z.number().int(),
  backendId: z.number().int(),
});
export type FlowView = z.infer<typeof flowViewSchema>;

export const connectionListOutputSchema = z.object({
  items: z.array(flowViewSchema),
  nextCursor: z.string().nullable(),
});
export type ConnectionPage = z.infer<typeof connectionListOutputSchema>;
