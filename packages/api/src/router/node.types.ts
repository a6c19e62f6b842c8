import { z } from 'zod';

/** One BGP peer (a router) as this node's speaker reports it, read from BIRD. */
export const bgpPeerStatusSchema = z.object({
  address: z.string(),
  as: z.number().int(),
  /** Down, Idle, Connect, Active, OpenSent, OpenConfirm, Established, Close, or "unknown" (BIRD not answering). */
  state: z.string(),
  established: z.boolean(),
  since: z.number().nullable(),
  /** null: BFD is off in the BGP settings. */
  bfd: z.object({ state: z.string(), up: z.boolean(), since: z.number().nullable() }).nullable(),
  /** Prefixes BIRD exports to this peer now ("198.18.100.1/32"). */
  routes: z.array(z.string()),
  lastError: z.string().nullable(),
});
export type BgpPeerStatus = z.infer<typeof bgpPeerStatusSchema>;

export const nodeStatusSchema = z.object({
  /** Withdrawn from the routers by `node drain`, until `node resume`. */
  draining: z.boolean(),
  drainingSince: z.number().nullable(),
  /** The timeout the drain was started with (what its caller waits for open flows to reach 0); null when not draining. */
  drainTimeoutMs: z.number().int().nullable(),
  /** Open flows of all backends on this node (what a drain waits for). */
  activeFlows: z.number().int(),
  /** null: the agent runs without --bgp-config and announces nothing. */
  bgp: z
    .object({
      running: z.boolean(),
      pid: z.number().int().nullable(),
      startedAt: z.number().nullable(),
      restarts: z.number().int(),
      localAs: z.number().int(),
      routerId: z.string(),
      peers: z.array(bgpPeerStatusSchema),
      /** Every prefix exported to at least one peer, read from BIRD. */
      announced: z.array(z.string()),
      /** Why the node announces nothing now (not attached, not ready, draining, ...); null when each VIP is judged on its own. */
      withheld: z.string().nullable(),
      readAt: z.number().nullable(),
      error: z.string().nullable(),
    })
    .nullable(),
});
export type NodeStatus = z.infer<typeof nodeStatusSchema>;

export const nodeDrainInputSchema = z
  .object({
    /** How long the caller means to wait for flows to end (recorded in the audit log; the CLI waits). */
    timeoutMs: z.number().int().min(0).max(86_400_000).optional(),
  })
  .strict()
  .optional();
export type NodeDrainInput = z.infer<typeof nodeDrainInputSchema>;
