/*
 * The whole API. The router is one constant, so its type (AppRouter) is all
 * a client needs; the agent's implementation travels in the context
 * (ctx.sluice), which is how the agent plugs in without this package
 * importing it.
 */
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { SluiceBackend } from './backend.ts';
import type { Identity } from './identity.ts';
import { agentRouter } from './router/agent.ts';
import { auditRouter } from './router/audit.ts';
import { authRouter } from './router/auth.ts';
import { backendHostsRouter } from './router/backend-hosts.ts';
import { backendsRouter } from './router/backends.ts';
import { configRouter } from './router/config.ts';
import { connectionsRouter } from './router/connections.ts';
import { healthRouter } from './router/health.ts';
import { nodeRouter } from './router/node.ts';
import { servicesRouter } from './router/services.ts';
import { statsRouter } from './router/stats.ts';
import { createCallerFactory, createContext, createTRPCRouter } from './trpc.ts';

export const appRouter = createTRPCRouter({
  agent: agentRouter,
  services: servicesRouter,
  backends: backendsRouter,
  backendHosts: backendHostsRouter,
  connections: connectionsRouter,
  stats: statsRouter,
  health: healthRouter,
  audit: auditRouter,
  auth: authRouter,
  config: configRouter,
  node: nodeRouter,
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

/** The router bound to one implementation: what the agent's server and tests use. */
export function createAppRouter(sluice: SluiceBackend) {
  const createCaller = createCallerFactory(appRouter);
  return {
    router: appRouter,
    createContext: (identity: Identity | null, token: string | null = null, clientAddress: string | null = null) =>
      createContext({ sluice, identity, token, clientAddress }),
    /** Call procedures in-process as `identity` (null: anonymous), from `clientAddress` (null: a local caller). */
    callerFor: (identity: Identity | null, token: string | null = null, clientAddress: string | null = null) =>
      createCaller(createContext({ sluice, identity, token, clientAddress })),
  };
}
