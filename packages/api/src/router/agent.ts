import type { TRPCRouterRecord } from '@trpc/server';
import { viewerProcedure } from '../trpc.ts';
import { agentInfoSchema } from './agent.types.ts';

export const agentRouter = {
  info: viewerProcedure.output(agentInfoSchema).query(({ ctx }) => ctx.sluice.agent.info()),
} satisfies TRPCRouterRecord;
