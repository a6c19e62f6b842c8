import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { operatorProcedure, validated, viewerProcedure } from '../trpc.ts';
import {
  backendAddInputSchema,
  backendBulkInputSchema,
  backendBulkOutputSchema,
  backendListInputSchema,
  backendListOutputSchema,
  backendRemoveInputSchema,
  backendRemoveOutputSchema,
  backendSetStateInputSchema,
  backendSetWeightInputSchema,
  backendViewSchema,
  backendWatchInputSchema,
} from './backends.types.ts';

export const backendsRouter = {
  list: viewerProcedure
    .input(backendListInputSchema)
    .output(backendListOutputSchema)
    .query(({ ctx, input }) => ctx.sluice.backends.list(input.service)),

  add: operatorProcedure
    .input(backendAddInputSchema)
    .output(backendViewSchema)
    .mutation(({ ctx, input }) => ctx.sluice.backends.add(input, ctx.identity)),

  setWeight: operatorProcedure
    .input(backendSetWeightInputSchema)
    .output(backendViewSchema)
    .mutation(({ ctx, input }) => ctx.sluice.backends.setWeight(input, ctx.identity)),

  /** ready | drain (optionally with drainTimeoutMs) | maint. */
  setState: operatorProcedure
    .input(backendSetStateInputSchema)
    .output(backendViewSchema)
    .mutation(({ ctx, input }) => ctx.sluice.backends.setState(input, ctx.identity)),

  /** CONFLICT while the backend carries active flows, unless force. */
  remove: operatorProcedure
    .input(backendRemoveInputSchema)
    .output(backendRemoveOutputSchema)
    .mutation(({ ctx, input }) => ctx.sluice.backends.remove(input, ctx.identity)),

  /** One change to several backends of a service, all or nothing. */
  bulk: operatorProcedure
    .input(backendBulkInputSchema)
    .output(backendBulkOutputSchema)
    .mutation(({ ctx, input }) => ctx.sluice.backends.bulk(input, ctx.identity)),

  /** The service's backends every intervalMs: drain progress, health, weights. */
  watch: viewerProcedure
    .input(backendWatchInputSchema)
    .subscription(({ ctx, input, signal }) =>
      validated(z.array(backendViewSchema), ctx.sluice.backends.watch(input.service, input.intervalMs, signal ?? new AbortController().signal)),
    ),
} satisfies TRPCRouterRecord;
