import type { TRPCRouterRecord } from '@trpc/server';
import { operatorProcedure, viewerProcedure } from '../trpc.ts';
import { nodeCheckSchema, nodeDrainInputSchema, nodeRoleInputSchema, nodeStatusSchema, vrrpStatusSchema } from './node.types.ts';

export const nodeRouter = {
  /** This node's announcement state: BGP peers, routes announced (as BIRD has them), draining, open flows. */
  status: viewerProcedure.output(nodeStatusSchema).query(({ ctx }) => ctx.sluice.node.status()),

  /** Can this node serve now (keepalived's vrrp_script): program attached, maps reconciled, agent ready. Never asks BIRD. */
  check: viewerProcedure.output(nodeCheckSchema).query(({ ctx }) => ctx.sluice.node.check()),

  /** A VRRP daemon's notify hook (keepalived's FIFO goes to the agent directly): this node's VRRP role now (a change is audited as the system's own entry). */
  role: operatorProcedure
    .input(nodeRoleInputSchema)
    .output(vrrpStatusSchema)
    .mutation(({ ctx, input }) => ctx.sluice.node.role(input, ctx.identity)),

  /** Withdraws every route from the routers now; resolves once BIRD has withdrawn them. Flows go on until they end. */
  drain: operatorProcedure
    .input(nodeDrainInputSchema)
    .output(nodeStatusSchema)
    .mutation(({ ctx, input }) => ctx.sluice.node.drain(input ?? {}, ctx.identity)),

  /** Announces again (each VIP with an eligible backend). */
  resume: operatorProcedure.output(nodeStatusSchema).mutation(({ ctx }) => ctx.sluice.node.resume(ctx.identity)),
} satisfies TRPCRouterRecord;
