/* The fleet (several nodes sharing one desired state on etcd) as node.status shows it, and `sluice fleet` prints it. */
import { z } from 'zod';

/** What every node of a fleet must share to pick the same backend for the same flow; the first node writes it, the others check theirs. */
export const fleetCompatSchema = z.object({
  hashSeed: z.number().int().min(0),
  lookupTableSize: z.number().int(),
  /** The backend-selection semantics (table fill, hash, forwarding modes): bumped by a build that changes them. */
  selection: z.number().int(),
});
export type FleetCompat = z.infer<typeof fleetCompatSchema>;

/** What a node forwards, as of its last registration (renewed each second): the fleet view's traffic per node. */
export const fleetNodeTrafficSchema = z.object({
  /** Packets per second to its services over the last sampled second (0 until the sampler has two readings). */
  pps: z.number(),
  bps: z.number(),
  /** Open flows over its backends. */
  activeFlows: z.number().int(),
  /** Packets forwarded to its services since its counters began (the maps' own counters). */
  packets: z.number(),
});
export type FleetNodeTraffic = z.infer<typeof fleetNodeTrafficSchema>;

/** One node's registration, under a lease: a node whose lease lapses is gone from the list. */
export const fleetNodeSchema = z.object({
  node: z.string(),
  version: z.string(),
  /** The fleet revision this node's local copy (and so its maps) holds. */
  appliedRevision: z.number().int(),
  /** Applying and its maps hold what it applied. */
  healthy: z.boolean(),
  /** Why not healthy: a compatibility refusal, a failed reconcile; null when healthy. */
  reason: z.string().nullable(),
  /** null: the node announces nothing itself (no BGP speaker). */
  announcing: z.boolean().nullable(),
  compat: fleetCompatSchema,
  /** null: a node of a version that does not register its traffic. */
  traffic: fleetNodeTrafficSchema.nullable().default(null),
  updatedAt: z.number(),
});
export type FleetNode = z.infer<typeof fleetNodeSchema>;

export const fleetStatusSchema = z.object({
  /** The store's address, without credentials. */
  store: z.string(),
  reachable: z.boolean(),
  /** The last error reaching the store; null while it answers. */
  error: z.string().nullable(),
  /** This node's name in the fleet. */
  node: z.string(),
  appliedRevision: z.number().int(),
  /** Why this node applies nothing from the fleet (its compatibility differs); null when it applies. */
  refused: z.string().nullable(),
  /** The fleet's desired revision R (the last change's); null while the store cannot be read. */
  revision: z.number().int().nullable(),
  /** Registered nodes, by name; empty while the store cannot be read. */
  nodes: z.array(fleetNodeSchema),
  /** Nodes healthy at revision R or later: "converged N of M at revision R". */
  converged: z.number().int(),
  /** The node that checks every backend's health for the fleet (elected through etcd); null: none known. */
  checker: z.string().nullable().default(null),
});
export type FleetStatus = z.infer<typeof fleetStatusSchema>;

/** "converged 3 of 3 at revision 42", the line the CLI and the console show after a change. */
export function convergedLine(status: Pick<FleetStatus, 'converged' | 'nodes' | 'revision'>): string {
  return status.revision === null
    ? 'store unreachable: convergence unknown'
    : `converged ${status.converged} of ${status.nodes.length} at revision ${status.revision}`;
}

/** Nodes apply a change within tens of ms: the CLI and the console wait this long after a change for every node to hold it. */
export const CONVERGE_WAIT_MS = 2000;

/** The line after a change: "converged N of M at revision R", or how far it got within the wait and who is not there yet. */
export function convergenceAfterChange(fleet: Pick<FleetStatus, 'converged' | 'nodes' | 'revision'>, waitedMs: number): string {
  const line = convergedLine(fleet);
  const revision = fleet.revision;
  if (revision === null || fleet.converged >= fleet.nodes.length) return line;
  const behind = fleet.nodes.filter((n) => !n.healthy || n.appliedRevision < revision).map((n) => n.node);
  return `${line}: NOT converged within ${(waitedMs / 1000).toFixed(1)} s (not there yet: ${behind.join(', ')})`;
}
