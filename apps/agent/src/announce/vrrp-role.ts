/*
 * The node's VRRP role as keepalived reports it, through its notify FIFO
 * (vrrp-notify-fifo.ts) or a hook (`sluice node role master|backup|fault|stop`, issue 13). keepalived owns
 * the role: it moves the VIPs and answers ARP; the agent only records what it
 * is told, to show it (node.status, metrics, console) and audit each change.
 * It lives in memory: a restarted agent shows no role until keepalived's next
 * transition (a restart longer than the vrrp_script's fall x interval makes one:
 * fault, then backup or master).
 */
import type { NodeRoleInput, VrrpStatus } from '@sluice/api';

export interface VrrpReport {
  status: VrrpStatus;
  /** The role before this report (null: none reported yet). */
  before: VrrpStatus['role'] | null;
  changed: boolean;
}

export class VrrpRoleState {
  #status: VrrpStatus | null = null;

  get status(): VrrpStatus | null {
    return this.#status;
  }

  /** Records a report; a repeat of the same role and instance keeps its `since`. */
  report(input: NodeRoleInput, now: number): VrrpReport {
    const before = this.#status;
    const instance = input.instance ?? null;
    const changed = before?.role !== input.role || before.instance !== instance;
    this.#status = { role: input.role, instance, since: changed ? now : before!.since, reportedAt: now };
    return { status: this.#status, before: before?.role ?? null, changed };
  }
}
