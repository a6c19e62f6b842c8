import { z } from 'zod';
import { vrrpRoles } from '../names/node.ts';

/**
 * Flow sync of an active/standby pair (issue 13), as this node sees its peer:
 * in-sync   the peer's stream is open, authenticated and its full table applied;
 * peer-dead nothing valid from the peer for peerDeadAfterMs (it is down, or
 *           cut off): this node's table is all there is;
 * syncing   neither yet (connecting, or the table still streaming).
 * `sluice node check` fails on a node that is not master while syncing, so
 * keepalived makes it master only in sync or with its peer known dead.
 */
export const syncStates = ['in-sync', 'peer-dead', 'syncing'] as const;
export const syncStateSchema = z.enum(syncStates);
export type SyncState = z.infer<typeof syncStateSchema>;

export const syncRefusalReasons = ['bad-mac', 'bad-sequence', 'bad-frame', 'bad-hello'] as const;

const ms = z.number().nullable();

/**
 * Split brain (both nodes hold the VIPs, e.g. VRRP adverts filtered while the
 * nodes still talk): seen through the sync channel, where each node says
 * whether it holds the VIPs. After a confirmed overlap the node that took
 * them last yields (its `sluice node check` fails, keepalived moves it to
 * FAULT) while its peer holds them, for a bounded time.
 */
export const splitBrainStatusSchema = z.object({
  /** How long both must hold the VIPs before it counts as a split (a switchover overlaps for less). */
  confirmAfterMs: z.number().int(),
  /** How long a yield lasts at most while the peer holds the VIPs. */
  yieldHoldMs: z.number().int(),
  /** This node is out of service because of a split (node check fails). */
  yielding: z.boolean(),
  yieldedAt: ms,
  /** When the yield ends at the latest (it ends sooner when the peer gives up the VIPs or dies). */
  yieldEndsAt: ms,
  /** Splits seen since the agent started (each confirmed overlap once). */
  splits: z.number().int(),
  lastSplitAt: ms,
  /** What decided the last split (which node held the VIPs longer, or the tie rule). */
  lastVerdict: z.string().nullable(),
  /** Both nodes hold the VIPs now, for this long (null: they do not). */
  bothHoldingForMs: ms,
  /** Whether the peer said it holds the VIPs, in its last ALIVE frame (null: not heard from). */
  peerHoldsVips: z.boolean().nullable(),
  holdsVips: z.boolean(),
});
export type SplitBrainStatus = z.infer<typeof splitBrainStatusSchema>;

export const syncStatusSchema = z.object({
  state: syncStateSchema,
  /** This node's listener and its peer's (ADDRESS:PORT). */
  listen: z.string(),
  peer: z.string(),
  peerDeadAfterMs: z.number().int(),
  /** Since the peer was last heard, either direction (its stream, or its ALIVE answers on ours); null: never since start. */
  lastMessageAgeMs: ms,
  /** The VRRP role the peer's agent last reported in its ALIVE frames (null: none, or not heard). */
  peerRole: z.enum(vrrpRoles).nullable(),
  inbound: z.object({
    connected: z.boolean(),
    peerAddress: z.string().nullable(),
    resynced: z.boolean(),
    lastResyncAt: ms,
    resyncs: z.number().int(),
    appliedFlows: z.number().int(),
    appliedEnds: z.number().int(),
    unknownBackends: z.number().int(),
    writeErrors: z.number().int(),
  }),
  outbound: z.object({
    connected: z.boolean(),
    streamingTable: z.boolean(),
    connectedSince: ms,
    resyncs: z.number().int(),
    lastResyncMs: ms,
    lastResyncFlows: ms,
    sentFlows: z.number().int(),
    sentEnds: z.number().int(),
    /** The peer's last ALIVE answer on this node's stream (epoch ms). */
    lastAliveAt: ms,
    droppedEvents: z.number().int(),
    lastError: z.string().nullable(),
  }),
  /** From the peer reading a flow event off its ring to the entry written here, over the last 1024 batches (peer's clock: NTP). */
  lag: z.object({ samples: z.number().int(), lastMs: ms, p50Ms: ms, p99Ms: ms, maxMs: ms }),
  /** Frames refused (wrong key, replay, malformed): each closes its connection and changes nothing. */
  refused: z.object({
    total: z.number().int(),
    byReason: z.record(z.enum(syncRefusalReasons), z.number().int()),
    last: z.object({ at: z.number(), from: z.string(), reason: z.enum(syncRefusalReasons), detail: z.string() }).nullable(),
  }),
  splitBrain: splitBrainStatusSchema,
});
export type SyncStatus = z.infer<typeof syncStatusSchema>;
