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

export const configImportOutputSchema = z.object({
  dryRun: z.boolean(),
  servicesCreated: z.array(z.string()),
  servicesUpdated: z.array(z.string()),
  servicesDeleted: z.array(z.string()),
  backendsAdded: z.number().int(),
  backendsChanged: z.number().int(),
  backendsRemoved: z.number().int(),
});
export type ConfigImportResult = z.infer<typeof configImportOutputSchema>;
