/*
 * The node in an active/standby pair (issue 13): the VRRP role keepalived
 * last reported (node.status vrrp) and what keepalived's
 * vrrp_script is told now (node.check). keepalived owns the role and the
 * VIPs; the agent only records and shows them. With no report the page says
 * how to set the pair up.
 */
'use client';
import type { NodeCheck, NodeStatus, VrrpRole } from '@sluice/api';
import { ago, clock } from '@/client/format.ts';
import styles from './node.module.css';

const ROLE_BADGE: Record<VrrpRole, string> = { master: 'badge-up', backup: 'badge-muted', fault: 'badge-down', stop: 'badge-down' };
const ROLE_MEANS: Record<VrrpRole, string> = {
  master: 'holds the VIPs: the clients’ traffic reaches this node',
  backup: 'holds no VIP and takes no new traffic; it still forwards what reaches it and takes over when the master falls silent',
  fault: 'its check or an interface failed: keepalived gave the VIPs up',
  stop: 'keepalived stopped on this node',
};

export function VrrpPanel({ vrrp, check }: { vrrp: NodeStatus['vrrp']; check: NodeCheck | undefined }) {
  return (
    <section className="card" aria-labelledby="vrrp-title" data-testid="vrrp-panel" data-role={vrrp?.role ?? 'none'}>
      <h2 id="vrrp-title">
        Active/standby{' '}
        <span className={`badge ${vrrp ? ROLE_BADGE[vrrp.role] : 'badge-muted'}`} data-testid="vrrp-role">
          {vrrp ? vrrp.role.toUpperCase() : 'NO ROLE REPORTED'}
        </span>
      </h2>
      {!vrrp && (
        <p className={styles.explain}>
          keepalived has reported no role to this agent: it runs alone or behind BGP, or keepalived has not told it yet. To run an active/standby pair, see the
          README, “Running an active/standby pair” (ops/keepalived/keepalived.conf.in).
        </p>
      )}
      <dl className={styles.facts}>
        {vrrp && (
          <>
            <dt>Role</dt>
            <dd>{ROLE_MEANS[vrrp.role]}</dd>
            <dt>VRRP instance</dt>
            <dd className="mono">{vrrp.instance ?? '—'}</dd>
            <dt>Since</dt>
            <dd>
              {clock(vrrp.since)} ({ago(vrrp.since)})
            </dd>
            <dt>Last reported</dt>
            <dd className="muted">{ago(vrrp.reportedAt)}</dd>
          </>
        )}
        <dt>keepalived’s check</dt>
        <dd data-testid="vrrp-check" data-ok={check?.ok ?? 'unknown'}>
          {check === undefined ? (
            <span className="muted">not read yet</span>
          ) : check.ok ? (
            <span className="badge badge-up">PASSES</span>
          ) : (
            <>
              <span className="badge badge-down">FAILS</span> {check.reason}
            </>
          )}
        </dd>
      </dl>
    </section>
  );
}
