import { z } from 'zod';
import { ipAddressSchema } from '../schemas/address.ts';
import { endpointRefSchema, serviceRefSchema } from '../schemas/service-ref.ts';
import { protocolSchema } from '../schemas/service.ts';

export const FLOW_STATES = ['none', 'syn-sent', 'established', 'fin-wait', 'closed'] as const;
export const flowStateSchema = z.enum(FLOW_STATES);

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
    /** Leave out closed TCP flows: entries that only wait out their timeout after the last FIN or RST. */
    hideClosed: z.boolean().optional(),
    /** Opaque: the nextCursor of the previous page. */
    cursor: z.string().max(512).optional(),
    limit: z.number().int().min(1).max(MAX_FLOW_PAGE, `limit must be 1 to ${MAX_FLOW_PAGE}`).default(DEFAULT_FLOW_PAGE),
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

/**
 * The whole flow table (not the filter) as of the snapshot the page walked.
 * Open is UDP, syn-sent and established; closing is fin-wait; closed
 * entries only wait out their timeout.
 */
export const flowTableSummarySchema = z.object({
  /** Entries the flow table holds at most (the agent's --flow-table-size). */
  capacity: z.number().int(),
  /** Flows in the snapshot; null before the first snapshot is built. */
  tracked: z.number().int().nullable(),
  byState: z.record(flowStateSchema, z.number().int()).nullable(),
  /**
   * How old the snapshot is: a big table's is rebuilt every few seconds, so
   * a flow opened since shows on a later page. null: none built yet.
   */
  snapshotAgeMs: z.number().nullable(),
});
export type FlowTableSummary = z.infer<typeof flowTableSummarySchema>;

export const connectionListOutputSchema = z.object({
  items: z.array(flowViewSchema),
  nextCursor: z.string().nullable(),
  table: flowTableSummarySchema,
});
export type ConnectionPage = z.infer<typeof connectionListOutputSchema>;
