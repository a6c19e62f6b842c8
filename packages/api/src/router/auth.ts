import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { adminProcedure, publicProcedure, viewerProcedure } from '../trpc.ts';
import {
  changePasswordInputSchema,
  changePasswordOutputSchema,
  createTokenInputSchema,
  createTokenOutputSchema,
  createUserInputSchema,
  deleteUserInputSchema,
  loginInputSchema,
  loginOutputSchema,
  okSchema,
  revokeTokenInputSchema,
  tokenViewSchema,
  unlockLoginInputSchema,
  unlockLoginOutputSchema,
  updateUserInputSchema,
  userViewSchema,
  whoamiOutputSchema,
} from './auth.types.ts';

const OK = { ok: true } as const;

export const authRouter = {
  /**
   * User name and password -> a new session token (UNAUTHENTICATED when
   * wrong; no hint which part). RATE_LIMITED with details.retryAfterSeconds
   * after repeated failures for the user or from the source, the same
   * whether or not the user exists. A session token sent as the bearer is
   * ended: every login gets a fresh id.
   */
  login: publicProcedure
    .input(loginInputSchema)
    .output(loginOutputSchema)
    .mutation(({ ctx, input }) => ctx.sluice.auth.login(input.user, input.password, { source: ctx.clientAddress ?? 'local', previousToken: ctx.token })),

  /** Clears the failed-login count and lock of a user and/or a source address (audited). */
  unlockLogin: adminProcedure
    .input(unlockLoginInputSchema)
    .output(unlockLoginOutputSchema)
    .mutation(({ ctx, input }) => ctx.sluice.auth.unlockLogin(input, ctx.identity)),

  logout: viewerProcedure.output(okSchema).mutation(async ({ ctx }) => {
    await ctx.sluice.auth.logout(ctx.token, ctx.identity);
    return OK;
  }),

  whoami: viewerProcedure.output(whoamiOutputSchema).query(({ ctx }) => ctx.identity),

  listUsers: adminProcedure.output(z.array(userViewSchema)).query(({ ctx }) => ctx.sluice.auth.listUsers()),

  createUser: adminProcedure
    .input(createUserInputSchema)
    .output(userViewSchema)
    .mutation(({ ctx, input }) => ctx.sluice.auth.createUser(input, ctx.identity)),

  /** New password and/or role; ends the user's sessions when either changes. */
  updateUser: adminProcedure
    .input(updateUserInputSchema)
    .output(userViewSchema)
    .mutation(({ ctx, input }) => ctx.sluice.auth.updateUser(input, ctx.identity)),

  /**
   * The caller's own password (any role, a login session only: an API token
   * has no password). INVALID when the current password is wrong, throttled
   * like logins; the user's other sessions end, this one goes on.
   */
  changePassword: viewerProcedure
    .input(changePasswordInputSchema)
    .output(changePasswordOutputSchema)
    .mutation(({ ctx, input }) => ctx.sluice.auth.changePassword(ctx.token, input, ctx.identity)),

  deleteUser: adminProcedure
    .input(deleteUserInputSchema)
    .output(okSchema)
    .mutation(async ({ ctx, input }) => {
      await ctx.sluice.auth.deleteUser(input.user, ctx.identity);
      return OK;
    }),

  /** Every API token: id (name), role, creator, created, last used; never the secret. */
  listTokens: adminProcedure.output(z.array(tokenViewSchema)).query(({ ctx }) => ctx.sluice.auth.listTokens()),

  /** The token secret is in this reply only. */
  createToken: adminProcedure
    .input(createTokenInputSchema)
    .output(createTokenOutputSchema)
    .mutation(({ ctx, input }) => ctx.sluice.auth.createToken(input.name, input.role, ctx.identity)),

  /** The token is refused from the next request on. */
  revokeToken: adminProcedure
    .input(revokeTokenInputSchema)
    .output(okSchema)
    .mutation(async ({ ctx, input }) => {
      await ctx.sluice.auth.revokeToken(input.name, ctx.identity);
      return OK;
    }),
} satisfies TRPCRouterRecord;
