import type { TRPCRouterRecord } from '@trpc/server';
import { configDocumentSchema } from '../schemas/config-document.ts';
import { adminProcedure } from '../trpc.ts';
import { configImportInputSchema, configImportOutputSchema } from './config.types.ts';

export const configRouter = {
  export: adminProcedure.output(configDocumentSchema).query(({ ctx }) => ctx.sluice.config.export()),

  /** Makes the configuration equal to the document, in one transaction; all or nothing. */
  import: adminProcedure
    .input(configImportInputSchema)
    .output(configImportOutputSchema)
    .mutation(({ ctx, input }) => ctx.sluice.config.import(input, ctx.identity)),
} satisfies TRPCRouterRecord;
