import type { TRPCRouterRecord } from '@trpc/server';
import { viewerProcedure } from '../trpc.ts';
import { connectionListInputSchema, connectionListOutputSchema } from './connections.types.ts';

export const connectionsRouter = {
  /** One page of the connection table, filtered on the agent; follow nextCursor for more. */
  list: viewerProcedure
    .input(connectionListInputSchema)
    .output(connectionListOutputSchema)
    .query(({ ctx, input }) => ctx.sluice.connections.list(input)),
} satisfies TRPCRouterRecord;
