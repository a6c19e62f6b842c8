import type { TRPCRouterRecord } from '@trpc/server';
import { validated, viewerProcedure } from '../trpc.ts';
import { healthChangeSchema, healthChangesInputSchema, healthListInputSchema, healthListOutputSchema } from './health.types.ts';

export const healthRouter = {
  list: viewerProcedure
    .input(healthListInputSchema)
    .output(healthListOutputSchema)
    .query(({ ctx, input }) => ctx.sluice.health.list(input?.service)),

  /** A backend flipped up or down. */
  changes: viewerProcedure
    .input(healthChangesInputSchema)
    .subscription(({ ctx, input, signal }) => validated(healthChangeSchema, ctx.sluice.health.changes(input?.service, signal ?? new AbortController().signal))),
} satisfies TRPCRouterRecord;
