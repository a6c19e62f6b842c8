import { z } from 'zod';
import { fleetStatusSchema } from './fleet.types.ts';
import { vrrpRoles } from '../names/node.ts';

export { vrrpRoles } from '../names/node.ts';
import { algorithmSchema } from '../schemas/service.ts';
import { syncStateSchema, syncStatusSchema } from './sync.types.ts';

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

/*
 * The node's VRRP role, as keepalived reports it (its notify FIFO, or `sluice
 * node role`; issue 13). keepalived's own states: master holds the VIPs, backup
 * waits, fault failed its vrrp_script or an interface, stop is keepalived
 * shutting down.
 */
export const vrrpRoleSchema = z.enum(vrrpRoles);
export type VrrpRole = z.infer<typeof vrrpRoleSchema>;

/** keepalived's vrrp_instance name: what its notify FIFO or hook passes on. */
const vrrpInstanceSchema = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a VRRP instance name: 1-64 letters, digits, "_", "." or "-"');

export const vrrpStatusSchema = z.object({
  role: vrrpRoleSchema,
  /** The instance whose transition reported it; null when the report did not say. */
  instance: z.string().nullable(),
  /** When the role last changed (epoch ms): a repeated report of the same role keeps it. */
  since: z.number(),
  /** When keepalived last reported it (epoch ms). */
  reportedAt: z.number(),
});
export type VrrpStatus = z.infer<typeof vrrpStatusSchema>;

export const nodeRoleInputSchema = z.object({ role: vrrpRoleSchema, instance: vrrpInstanceSchema.optional() }).strict();
export type NodeRoleInput = z.infer<typeof nodeRoleInputSchema>;

/**
 * Whether this node can serve now: what keepalived's vrrp_script asks
 * (`sluice node check`) every second or two. ok only when the program is
 * attached on every balancer interface, the last reconcile succeeded and the
 * agent is ready; reason names the first that is not.
 */
export const nodeCheckSchema = z.object({
  ok: z.boolean(),
  reason: z.string().nullable(),
  attached: z.boolean(),
  reconciled: z.boolean(),
  ready: z.boolean(),
  /** Flow sync with the pair's peer; null without sync settings. Gates the check only on a node that is not master. */
  sync: syncStateSchema.nullable().default(null),
});
export type NodeCheck = z.infer<typeof nodeCheckSchema>;

export const nodeStatusSchema = z.object({
  compat: nodeCompatSchema,
  /** null: keepalived has reported no role to this agent (it runs without VRRP, or keepalived has not told it yet). */
  vrrp: vrrpStatusSchema.nullable(),
  /** Flow sync with the active/standby peer; null: the agent runs without sync settings. */
  sync: syncStatusSchema.nullable().default(null),
  /** The fleet this node shares its desired state with (`--store etcd://...`); null: the node keeps its own (SQLite). */
  fleet: fleetStatusSchema.nullable().default(null),
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
