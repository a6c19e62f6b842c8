/*
 * Split brain in an active/standby pair (issue 13): both nodes hold the VIPs,
 * so both answer ARP for them and the segment's hosts flip between them. It
 * happens when VRRP adverts stop reaching one node while the nodes can still
 * talk (a switch filtering multicast, a firewall rule on protocol 112):
 * keepalived on the deaf node declares the master dead and takes the VIPs
 * too. keepalived cannot see it; the sync channel can, because each node's
 * ALIVE frames say whether it holds the VIPs and for how long.
 *
 * The rule, the same on both nodes: when both have held the VIPs for
 * SPLIT_CONFIRM_MS (longer than a planned switchover's overlap of one
 * advert), the node that took them last yields (its peer has served the
 * flows all along); on a near tie, the node whose sync address sorts higher.
 * Yielding writes "1" to the file keepalived tracks (yield-file.ts), so it
 * moves the yielding node to FAULT and takes its VIPs away at once; it also
 * fails `sluice node check` (fall 2 x interval 1 s, where no file is
 * tracked). The yield holds while the peer holds the VIPs, for
 * YIELD_HOLD_MS; then the node may stand by again. If VRRP still does not
 * reach it, it takes the VIPs once more and yields once more: a short
 * split every YIELD_HOLD_MS instead of a lasting one, each counted, until
 * the segment is mended.
 */
import type { SplitBrainStatus, VrrpRole } from '@sluice/api';

/*
 * A planned switchover overlaps for well under one advert (0.5 s: the old
 * master drops the VIPs on the new one's first advert); a loaded node's
 * ALIVE may come late by a beat or two of 200 ms.
 */
export const SPLIT_CONFIRM_MS = 1_000;
/* Closer than this, "who took the VIPs last" is within the measuring error (ALIVE every 200 ms, notify latency): the address decides. */
export const TIE_MS = 1_000;
export const YIELD_HOLD_MS = 30_000;

/** What one node says of the VIPs in its ALIVE frames. */
export interface VipClaim {
  holds: boolean;
  /** How long it has held them (0 when it holds none). */
  heldForMs: number;
  /** Its VRRP role as its agent knows it (shown on the peer: node.status sync.peerRole); not part of the rule. */
  role?: VrrpRole | null;
}

/** The peer's last claim and when it arrived (its heldForMs grows by the time since). */
export interface PeerClaim extends VipClaim {
  receivedAt: number;
}

export class SplitBrainGuard {
  readonly #ownRank: 'higher' | 'lower';
  /** When both began to hold the VIPs (null: they do not), and whether this overlap was judged already. */
  #bothSince: number | null = null;
  #judged = false;
  #yieldedAt: number | null = null;
  #splits = 0;
  #lastSplitAt: number | null = null;
  #lastReason: string | null = null;
  #ownHolds = false;
  #peerHolds: boolean | null = null;

  /** ownRank: whether this node's sync address sorts above its peer's (it yields on a tie). */
  constructor(ownRank: 'higher' | 'lower') {
    this.#ownRank = ownRank;
  }

  /**
   * Takes the latest claims (peer: null when it is not heard from, i.e. dead
   * or not connected) and updates the verdict; says whether a split was
   * judged now or a yield ended (for the log).
   */
  judge(own: VipClaim, peer: PeerClaim | null, now: number): 'split' | 'yield-ended' | null {
    const peerHolds = peer?.holds === true;
    this.#ownHolds = own.holds;
    this.#peerHolds = peer ? peer.holds : null;
    let ended = false;
    if (this.#yieldedAt !== null && (!peerHolds || now - this.#yieldedAt >= YIELD_HOLD_MS)) {
      this.#yieldedAt = null;
      ended = true;
    }
    const noSplit = ended ? 'yield-ended' : null;
    if (!(own.holds && peerHolds)) {
      this.#bothSince = null;
      this.#judged = false;
      return noSplit;
    }
    this.#bothSince ??= now;
    if (this.#judged || this.#yieldedAt !== null || now - this.#bothSince < SPLIT_CONFIRM_MS) return noSplit;
    /* Once per overlap: the next split needs this one to end first. */
    this.#judged = true;
    this.#splits++;
    this.#lastSplitAt = now;
    const peerHeldForMs = peer!.heldForMs + (now - peer!.receivedAt);
    const yields = this.#yields(own.heldForMs, peerHeldForMs);
    this.#lastReason = yields.why;
    if (yields.yes) this.#yieldedAt = now;
    return 'split';
  }

  #yields(ownMs: number, peerMs: number): { yes: boolean; why: string } {
    const held = `this node held the VIPs for ${Math.round(ownMs)} ms, its peer for ${Math.round(peerMs)} ms`;
    if (Math.abs(ownMs - peerMs) > TIE_MS)
      return ownMs < peerMs
        ? { yes: true, why: `${held}: this node took them last and yields` }
        : { yes: false, why: `${held}: the peer took them last and yields` };
    return this.#ownRank === 'higher'
      ? { yes: true, why: `${held} (a tie): this node's sync address sorts higher and yields` }
      : { yes: false, why: `${held} (a tie): the peer's sync address sorts higher and yields` };
  }

  get yielding(): boolean {
    return this.#yieldedAt !== null;
  }

  /** Why `sluice node check` must fail on this node, or null. */
  checkReason(now: number): string | null {
    if (this.#yieldedAt === null) return null;
    const left = Math.max(0, YIELD_HOLD_MS - (now - this.#yieldedAt));
    return `split brain: this node and its sync peer both held the VIPs (${this.#lastReason}); out of service while the peer holds them, for at most ${Math.ceil(left / 1000)} s more`;
  }

  status(now: number): SplitBrainStatus {
    return {
      confirmAfterMs: SPLIT_CONFIRM_MS,
      yieldHoldMs: YIELD_HOLD_MS,
      yielding: this.yielding,
      yieldedAt: this.#yieldedAt,
      yieldEndsAt: this.#yieldedAt === null ? null : this.#yieldedAt + YIELD_HOLD_MS,
      splits: this.#splits,
      lastSplitAt: this.#lastSplitAt,
      lastVerdict: this.#lastReason,
      bothHoldingForMs: this.#bothSince === null ? null : now - this.#bothSince,
      holdsVips: this.#ownHolds,
      peerHoldsVips: this.#peerHolds,
    };
  }
}
