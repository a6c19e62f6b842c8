import type { TRPCRouterRecord } from '@trpc/server';
import { validated, viewerProcedure } from '../trpc.ts';
import { statsLiveInputSchema, statsSampleSchema, statsSeriesInputSchema, statsSeriesOutputSchema, statsTotalsOutputSchema } from './stats.types.ts';

export const statsRouter = {
  totals: viewerProcedure.output(statsTotalsOutputSchema).query(({ ctx }) => ctx.sluice.stats.totals()),

  /** One point per second, oldest first, for the last `seconds` (at most an hour). */
  series: viewerProcedure
    .input(statsSeriesInputSchema)
    .output(statsSeriesOutputSchema)
    .query(({ ctx, input }) => ctx.sluice.stats.series(input.scope, input.seconds)),

  /** A sample every second: every service's rates, and one service's backends' when asked for. */
  live: viewerProcedure
    .input(statsLiveInputSchema)
    .subscription(({ ctx, input, signal }) => validated(statsSampleSchema, ctx.sluice.stats.live(input?.service, signal ?? new AbortController().signal))),
} satisfies TRPCRouterRecord;
