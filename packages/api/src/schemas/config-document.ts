import { z } from 'zod';
import { healthCheckPatchSchema } from './health-check.ts';
import { checkServiceBackends, checkUniqueServices, serviceSpecFields } from './service.ts';

/*
 * The whole configuration as a declarative file (JSON or YAML): what
 * `sluice config export` writes and `import` reads. Import makes the store
 * equal to it (services not listed are deleted). Users and tokens are not
 * part of it: secrets do not travel in configuration files.
 * It is a superset of the agent's older config file ({ services: [...] }),
 * which therefore imports as is.
 */
export const CONFIG_DOCUMENT_VERSION = 1;

export const configServiceSchema = z
  .object({ ...serviceSpecFields, healthCheck: healthCheckPatchSchema.optional() })
  .strict()
  .superRefine(checkServiceBackends);

export const configDocumentSchema = z
  .object({
    version: z.literal(CONFIG_DOCUMENT_VERSION).default(CONFIG_DOCUMENT_VERSION),
    /* How many fit is the agent's rule (apps/agent/src/reconcile/capacity.ts), checked against the loaded maps. */
    services: z.array(configServiceSchema).default([]),
  })
  .strict()
  .superRefine(checkUniqueServices);
export type ConfigDocument = z.infer<typeof configDocumentSchema>;
