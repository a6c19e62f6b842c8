import type { TRPCRouterRecord } from '@trpc/server';
import { viewerProcedure } from '../trpc.ts';
import { auditListInputSchema, auditListOutputSchema } from './audit.types.ts';

export const auditRouter = {
  /** Newest first; follow nextCursor for older entries. */
  list: viewerProcedure
    .input(auditListInputSchema)
    .output(auditListOutputSchema)
    .query(({ ctx, input }) => ctx.sluice.audit.list(input)),
} satisfies TRPCRouterRecord;
