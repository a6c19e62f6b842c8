import { z } from 'zod';

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
    limit: z.number().int().min(1).max(MAX_AUDIT_PAGE, `limit must be 1 to ${MAX_AUDIT_PAGE}`).default(50),
  })
  .strict();
export type AuditListInput = z.infer<typeof auditListInputSchema>;

export const auditListOutputSchema = z.object({
  items: z.array(auditEntrySchema),
  nextCursor: z.string().nullable(),
});
export type AuditPage = z.infer<typeof auditListOutputSchema>;
