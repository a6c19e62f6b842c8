import { z } from 'zod';
import { serviceRefSchema } from '../schemas/service-ref.ts';

export const MAX_AUDIT_PAGE = 500;

export const auditEntrySchema = z.object({
  id: z.number().int(),
  at: z.number().int(),
  /** User name (or token name) of the caller. */
  actor: z.string(),
  role: z.string(),
  /** e.g. service.create, backend.setState, auth.createUser, config.import. */
  action: z.string(),
  /** What was changed: a service name, "SERVICE ENDPOINT", a user name. */
  target: z.string(),
  before: z.unknown().nullable(),
  after: z.unknown().nullable(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;

export const auditListInputSchema = z
  .object({
    actor: z.string().optional(),
    action: z.string().optional(),
    /** Substring of the target. */
    target: z.string().optional(),
    /** Opaque: the nextCursor of the previous page (entries go newest first). */
    cursor: z.string().max(64).optional(),
    limit: z
      .number()
      .int(`limit must be a whole number 1 to ${MAX_AUDIT_PAGE}`)
      .min(1, `limit must be 1 to ${MAX_AUDIT_PAGE}`)
      .max(MAX_AUDIT_PAGE, `limit must be 1 to ${MAX_AUDIT_PAGE}`)
      .default(50),
  })
  .strict();
export type AuditListInput = z.infer<typeof auditListInputSchema>;

export const auditListOutputSchema = z.object({
  items: z.array(auditEntrySchema),
  nextCursor: z.string().nullable(),
});
export type AuditPage = z.infer<typeof auditListOutputSchema>;

/*
 * audit.events: the entries a chart marks, over a time range. Operator
 * actions on services and backends, and the system's own entries: health
 * transitions (health.up / health.down, actor SYSTEM_ACTOR_NAME) and agent
 * starts. Sign-ins and token changes are not events of the traffic.
 */
export const SYSTEM_ACTOR_NAME = 'sluice-agent';
/** Entries about one backend or service: their target names it. */
export const SCOPED_EVENT_ACTIONS = [
  'health.up',
  'health.down',
  'backend.add',
  'backend.remove',
  'backend.update',
  'backend.setState',
  'backend.setWeight',
  'backend.drainExpired',
  'service.create',
  'service.update',
  'service.delete',
] as const;
/** Entries about the whole node: every scope shows them. */
export const NODE_EVENT_ACTIONS = ['agent.start', 'config.import', 'node.drain', 'node.resume'] as const;
export const MAX_EVENTS = 2000;

export const auditEventsInputSchema = z
  .object({
    /** A service: its own entries (and its backends') and the node's. None: every event. */
    service: serviceRefSchema.optional(),
    /** Epoch ms, inclusive. */
    since: z.number().int().min(0),
    /** Epoch ms, inclusive; default now. */
    until: z.number().int().min(0).optional(),
    limit: z
      .number()
      .int(`limit must be a whole number 1 to ${MAX_EVENTS}`)
      .min(1, `limit must be 1 to ${MAX_EVENTS}`)
      .max(MAX_EVENTS, `limit must be 1 to ${MAX_EVENTS}`)
      .default(500),
  })
  .strict()
  .refine((input) => input.until === undefined || input.until >= input.since, { message: 'until must not be before since', path: ['until'] });
export type AuditEventsInput = z.infer<typeof auditEventsInputSchema>;

export const auditEventsOutputSchema = z.object({
  /** Oldest first: the newest `limit` entries of the range. */
  items: z.array(auditEntrySchema),
  /** More entries fell in the range than `limit`: the oldest were left out. */
  truncated: z.boolean(),
});
export type AuditEvents = z.infer<typeof auditEventsOutputSchema>;
