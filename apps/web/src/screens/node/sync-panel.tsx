/*
 * Flow sync with the active/standby peer (issue 13, node.status sync): the
 * state that gates a takeover, the lag of the peer's changes into this
 * node, what moved each way, frames refused (wrong key, replay), and split
 * brain (both nodes holding the VIPs; the one that took them last yields). Absent
 * sync settings, it says what a takeover then costs.
 */
'use client';
import type { NodeStatus, SyncState } from '@sluice/api';
import { ago, clock } from '@/client/format.ts';
import styles from './node.module.css';

const STATE_BADGE: Record<SyncState, string> = { 'in-sync': 'badge-up', 'peer-dead': 'badge-down', syncing: 'badge-muted' };
const STATE_MEANS: Record<SyncState, string> = {
  'in-sync': 'the peer’s stream is open and its whole table applied: this node may take over with every flow',
  'peer-dead': 'nothing heard from the peer: this node’s table is all there is, and it may take over',
  syncing: 'the peer is alive but its table is not all here yet: keepalived’s check fails on this node unless it is master',
};

const ms = (value: number | null) => (value === null ? '—' : `${value} ms`);

export function SyncPanel({ sync }: { sync: NodeStatus['sync'] }) {
  return (
    <section className="card" aria-labelledby="sync-title" data-testid="sync-panel" data-state={sync?.state ?? 'off'}>
      <h2 id="sync-title">
        Flow sync{' '}
        <span className={`badge ${sync ? STATE_BADGE[sync.state] : 'badge-muted'}`} data-testid="sync-state">
          {sync ? sync.state.toUpperCase() : 'OFF'}
        </span>
      </h2>
      {!sync ? (
        <p className={styles.explain}>
          This agent runs without sync settings: after a takeover its peer has none of its flows, so round-robin and least-connections connections break. See
          the README, “Running an active/standby pair”.
        </p>
      ) : (
        <dl className={styles.facts}>
          <dt>State</dt>
          <dd>{STATE_MEANS[sync.state]}</dd>
          <dt>Peer</dt>
          <dd className="mono">
            {sync.peer} (listening on {sync.listen}); {sync.lastMessageAgeMs === null ? 'never heard' : `heard ${sync.lastMessageAgeMs} ms ago`}
          </dd>
          <dt>Peer's role</dt>
          <dd data-testid="sync-peer-role" data-role={sync.peerRole ?? 'none'}>
            {sync.peerRole ? (
              <span className={`badge ${sync.peerRole === 'master' ? 'badge-up' : 'badge-muted'}`}>{sync.peerRole.toUpperCase()}</span>
            ) : (
              'not reported'
            )}{' '}
            (as its agent says in the sync channel)
          </dd>
          <dt>Lag</dt>
          <dd data-testid="sync-lag">
            {sync.lag.samples
              ? `p50 ${ms(sync.lag.p50Ms)}, p99 ${ms(sync.lag.p99Ms)}, max ${ms(sync.lag.maxMs)} over ${sync.lag.samples} batches`
              : 'no change received yet'}
          </dd>
          <dt>From the peer</dt>
          <dd>
            {sync.inbound.connected ? (sync.inbound.resynced ? 'streaming, resynced' : 'resync streaming in') : 'no stream'}; {sync.inbound.appliedFlows} flows,{' '}
            {sync.inbound.appliedEnds} ends applied
            {sync.inbound.lastResyncAt ? `; last resync ${clock(sync.inbound.lastResyncAt)} (${ago(sync.inbound.lastResyncAt)})` : ''}
          </dd>
          <dt>To the peer</dt>
          <dd>
            {sync.outbound.connected ? 'connected' : `not connected${sync.outbound.lastError ? ` (${sync.outbound.lastError})` : ''}`};{' '}
            {sync.outbound.sentFlows} flows, {sync.outbound.sentEnds} ends sent, {sync.outbound.droppedEvents} events dropped
          </dd>
          <dt>Refused frames</dt>
          <dd data-testid="sync-refused" data-count={sync.refused.total}>
            {sync.refused.total === 0 ? (
              '0'
            ) : (
              <>
                <span className="badge badge-down">{sync.refused.total}</span> last from <span className="mono">{sync.refused.last?.from}</span>{' '}
                {sync.refused.last ? ago(sync.refused.last.at) : ''}: {sync.refused.last?.reason}
              </>
            )}
          </dd>
          <dt>Split brain</dt>
          <dd data-testid="sync-split-brain" data-yielding={sync.splitBrain.yielding} data-splits={sync.splitBrain.splits}>
            <SplitBrain split={sync.splitBrain} />
          </dd>
        </dl>
      )}
    </section>
  );
}

function SplitBrain({ split }: { split: NonNullable<NodeStatus['sync']>['splitBrain'] }) {
  const now = split.yielding ? (
    <>
      <span className="badge badge-down">YIELDING</span> since {clock(split.yieldedAt!)}: out of service while the peer holds the VIPs, until{' '}
      {clock(split.yieldEndsAt!)} at the latest
    </>
  ) : split.bothHoldingForMs !== null ? (
    <>
      <span className="badge badge-down">BOTH HOLD THE VIPS</span> for {split.bothHoldingForMs} ms
    </>
  ) : (
    <>
      this node {split.holdsVips ? 'holds' : 'does not hold'} the VIPs; the peer{' '}
      {split.peerHoldsVips === null ? 'has not said' : split.peerHoldsVips ? 'holds them' : 'does not'}
    </>
  );
  return (
    <>
      {now}. {split.splits ? `${split.splits} seen, the last ${ago(split.lastSplitAt!)}: ${split.lastVerdict}` : 'No split seen.'}
    </>
  );
}
