import type { TRPCRouterRecord } from '@trpc/server';
import { adminProcedure, viewerProcedure } from '../trpc.ts';
import {
  serviceCreateInputSchema,
  serviceDeleteInputSchema,
  serviceDeleteOutputSchema,
  serviceDetailSchema,
  serviceGetInputSchema,
  serviceListInputSchema,
  serviceListOutputSchema,
  serviceUpdateInputSchema,
} from './services.types.ts';

export const servicesRouter = {
  list: viewerProcedure
    .input(serviceListInputSchema)
    .output(serviceListOutputSchema)
    .query(({ ctx }) => ctx.sluice.services.list()),

  get: viewerProcedure
    .input(serviceGetInputSchema)
    .output(serviceDetailSchema)
    .query(({ ctx, input }) => ctx.sluice.services.get(input.service)),

  create: adminProcedure
    .input(serviceCreateInputSchema)
    .output(serviceDetailSchema)
    .mutation(({ ctx, input }) => ctx.sluice.services.create(input, ctx.identity)),

  update: adminProcedure
    .input(serviceUpdateInputSchema)
    .output(serviceDetailSchema)
    .mutation(({ ctx, input }) => ctx.sluice.services.update(input, ctx.identity)),

  delete: adminProcedure
    .input(serviceDeleteInputSchema)
    .output(serviceDeleteOutputSchema)
    .mutation(({ ctx, input }) => ctx.sluice.services.delete(input, ctx.identity)),
} satisfies TRPCRouterRecord;
