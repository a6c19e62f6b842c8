import type { TRPCRouterRecord } from '@trpc/server';
import { viewerProcedure } from '../trpc.ts';
import { auditEventsInputSchema, auditEventsOutputSchema, auditListInputSchema, auditListOutputSchema } from './audit.types.ts';

export const auditRouter = {
  /** Newest first; follow nextCursor for older entries. */
  list: viewerProcedure
    .input(auditListInputSchema)
    .output(auditListOutputSchema)
    .query(({ ctx, input }) => ctx.sluice.audit.list(input)),

  /** The entries a chart marks over a time range, oldest first (audit.types.ts says which). */
  events: viewerProcedure
    .input(auditEventsInputSchema)
    .output(auditEventsOutputSchema)
    .query(({ ctx, input }) => ctx.sluice.audit.events(input)),
} satisfies TRPCRouterRecord;
