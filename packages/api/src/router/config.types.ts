import { z } from 'zod';
import { configDocumentSchema } from '../schemas/config-document.ts';

export const configImportInputSchema = z
  .object({
    document: configDocumentSchema,
    /** Validate and report what would change without changing anything. */
    dryRun: z.boolean().default(false),
    /** Import even if a backend that would be removed still carries flows. */
    force: z.boolean().default(false),
  })
  .strict();
export type ConfigImportInput = z.infer<typeof configImportInputSchema>;

/** One line of the preview: what changes for a service, in words (e.g. "algorithm round-robin -> maglev"). */
export const serviceChangeSchema = z.object({
  service: z.string(),
  change: z.enum(['create', 'update', 'delete']),
  detail: z.string(),
});
export const backendChangeSchema = z.object({
  service: z.string(),
  endpoint: z.string(),
  change: z.enum(['add', 'update', 'remove']),
  detail: z.string(),
});
export type ServiceChange = z.infer<typeof serviceChangeSchema>;
export type BackendChange = z.infer<typeof backendChangeSchema>;

export const configImportOutputSchema = z.object({
  dryRun: z.boolean(),
  /** Every change, named: the preview a person reads before applying. */
  serviceChanges: z.array(serviceChangeSchema),
  backendChanges: z.array(backendChangeSchema),
  /**
   * Dry run only: every reason the import would be refused (backends it would
   * remove that still carry flows, without force); empty when it would apply.
   * A real import refuses with all of them in its CONFLICT message.
   */
  refusals: z.array(z.string()),
  servicesCreated: z.array(z.string()),
  servicesUpdated: z.array(z.string()),
  servicesDeleted: z.array(z.string()),
  backendsAdded: z.number().int(),
  backendsChanged: z.number().int(),
  backendsRemoved: z.number().int(),
});
export type ConfigImportResult = z.infer<typeof configImportOutputSchema>;
