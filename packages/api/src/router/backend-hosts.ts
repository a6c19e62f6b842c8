import type { TRPCRouterRecord } from '@trpc/server';
import { operatorProcedure, viewerProcedure } from '../trpc.ts';
import { backendHostListInputSchema, backendHostListOutputSchema, backendHostReportSchema, backendHostReportViewSchema } from './backend-hosts.types.ts';

export const backendHostsRouter = {
  /** Records one host's check report; it replaces any earlier report that shares an address with it. */
  report: operatorProcedure
    .input(backendHostReportSchema)
    .output(backendHostReportViewSchema)
    .mutation(({ ctx, input }) => ctx.sluice.backendHosts.report(input, ctx.identity)),

  /** The reports on record (one host's, given an address of it), newest check first. */
  list: viewerProcedure
    .input(backendHostListInputSchema)
    .output(backendHostListOutputSchema)
    .query(({ ctx, input }) => ctx.sluice.backendHosts.list(input?.address)),
} satisfies TRPCRouterRecord;
