import { z } from 'zod';
import { algorithmSchema } from '../schemas/service.ts';

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

/*
 * What must be equal on every node behind the same routers, or a flow that
 * ECMP moves between nodes lands on another backend (issue 16 makes the fleet
 * check it; today the operator compares).
 */
export const nodeCompatSchema = z
  .object({
    /** `sluice agent --hash-seed`: seeds the flow hash and the Maglev tables (read back from the loaded program). */
    hashSeed: z.number().int().min(0),
    /** Slots per service lookup table (the build's LOOKUP_TABLE_SIZE). */
    lookupTableSize: z.number().int(),
    /** SHA-256 (first 16 hex digits) of the data plane object the agent loaded: the same build hashes and indexes the same way. */
    dataplaneBuild: z.string(),
  })
  .describe('Must be equal on every node of a fleet: the same hash seed, table size and data plane build pick the same backend for a moved flow.');
export type NodeCompat = z.infer<typeof nodeCompatSchema>;

/** A service whose connections break when the node carrying them is lost, and what to do about it. */
export const nodeLossRiskSchema = z.object({
  service: z.string(),
  algorithm: algorithmSchema,
  reason: z.string(),
  fix: z.string(),
});
export type NodeLossRisk = z.infer<typeof nodeLossRiskSchema>;

export const nodeStatusSchema = z.object({
  compat: nodeCompatSchema,
  /** Services whose connections do not survive the loss of this node (round robin, least connections); empty when all do. */
  breakOnNodeLoss: z.array(nodeLossRiskSchema),
  /** Withdrawn from the routers by `node drain`, until `node resume`. */
  draining: z.boolean(),
  drainingSince: z.number().nullable(),
  /** The timeout the drain was started with (what its caller waits for open flows to reach 0); null when not draining. */
  drainTimeoutMs: z.number().int().nullable(),
  /** Open flows of all backends on this node. */
  activeFlows: z.number().int(),
  /** When this node last forwarded a packet to a backend, as seen by node.status readings (epoch ms). */
  lastForwardedAt: z.number(),
  /**
   * How a drain stands: none (not draining), waiting, flows-ended (no open
   * flow left), quiet (nothing forwarded for 3 s since the drain began: the
   * routers send the node nothing, its connections went on through the other
   * nodes), timeout (the drain's timeout passed first). Any of the last three
   * means the node can be stopped.
   */
  drainPhase: z.enum(['none', 'waiting', 'flows-ended', 'quiet', 'timeout']),
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
      /** When the reading of BIRD shown here started: it includes everything BIRD did before then (readings are at most pollMs apart). */
      readAt: z.number().nullable(),
      error: z.string().nullable(),
    })
    .nullable(),
});
export type NodeStatus = z.infer<typeof nodeStatusSchema>;

export const nodeDrainInputSchema = z
  .object({
    /** How long the caller means to wait for flows to end (recorded in the audit log; the CLI waits). */
    timeoutMs: z
      .number()
      .int('timeoutMs must be a whole number of milliseconds')
      .min(0, 'timeoutMs must be 0 to 86400000 (a day)')
      .max(86_400_000, 'timeoutMs must be 0 to 86400000 (a day)')
      .optional(),
  })
  .strict()
  .optional();
export type NodeDrainInput = z.infer<typeof nodeDrainInputSchema>;
