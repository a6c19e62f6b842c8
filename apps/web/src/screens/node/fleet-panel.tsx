/*
 * The fleet this node shares its desired state with (issue 16, node.status
 * fleet): the store and whether it answers (unreachable: forwarding goes on
 * on the last applied state, changes are refused), "converged N of M at
 * revision R", and each registered node's version, applied revision,
 * health, announcement and traffic. Without --store etcd://... it says the node keeps
 * its own state.
 */
'use client';
import { type FleetNode, type NodeStatus, convergedLine } from '@sluice/api';
import { ago, count, packetsPerSecond } from '@/client/format.ts';
import { type Column, DataTable } from '@/components/ui/data-table.tsx';
import styles from './node.module.css';

const nodeColumns = (revision: number | null): Column<FleetNode>[] => [
  { header: 'Node', rowHeader: true, cellClassName: 'mono', cell: (n) => n.node },
  { header: 'Version', cellClassName: 'mono', cell: (n) => n.version },
  {
    header: 'Applied revision',
    className: 'num',
    cell: (n) => (revision !== null && n.appliedRevision < revision ? `${n.appliedRevision} (behind ${revision})` : n.appliedRevision),
    cellProps: (n) => ({ 'data-testid': 'fleet-node-revision', 'data-revision': n.appliedRevision }),
  },
  {
    header: 'Health',
    cell: (n) => <span className={`badge ${n.healthy ? 'badge-up' : 'badge-down'}`}>{n.healthy ? 'HEALTHY' : 'NOT APPLYING'}</span>,
    cellProps: (n) => ({ 'data-testid': 'fleet-node-health', 'data-healthy': String(n.healthy) }),
  },
  {
    header: 'Announcing',
    cell: (n) => (n.announcing === null ? <span className="muted">no BGP</span> : n.announcing ? 'yes' : 'no'),
    cellProps: (n) => ({ 'data-testid': 'fleet-node-announcing', 'data-announcing': String(n.announcing) }),
  },
  {
    header: 'Traffic',
    className: 'num',
    /* As the node last registered it (each second); a node of an older version says nothing. */
    cell: (n) => (n.traffic ? `${packetsPerSecond(n.traffic.pps)}, ${count(n.traffic.activeFlows)} flows` : <span className="muted">not reported</span>),
    cellProps: (n) => ({ 'data-testid': 'fleet-node-traffic', 'data-packets': n.traffic?.packets ?? '' }),
  },
  { header: 'Seen', cell: (n) => ago(n.updatedAt) },
  { header: 'Why not', cell: (n) => n.reason ?? <span className="muted">—</span> },
];

export function FleetPanel({ fleet }: { fleet: NodeStatus['fleet'] }) {
  const state = !fleet ? 'off' : !fleet.reachable ? 'unreachable' : fleet.refused ? 'refused' : 'on';
  return (
    <section className="card" aria-labelledby="fleet-title" data-testid="fleet-panel" data-state={state}>
      <h2 id="fleet-title">
        Fleet{' '}
        <span className={`badge ${state === 'on' ? 'badge-up' : state === 'off' ? 'badge-muted' : 'badge-down'}`} data-testid="fleet-state">
          {state.toUpperCase()}
        </span>
      </h2>
      {!fleet ? (
        <p className={styles.explain}>
          This node keeps its own desired state (SQLite). Started with --store etcd://HOST:PORT, nodes share one desired state and a change on any of them
          reaches all; see the README, “One desired state for the fleet, on etcd”.
        </p>
      ) : (
        <>
          {!fleet.reachable && (
            <p className={styles.status} role="alert" data-testid="fleet-unreachable">
              The store {fleet.store} is unreachable{fleet.error ? ` (${fleet.error})` : ''}: this node forwards on the state it last applied, and changes are
              refused until it is back.
            </p>
          )}
          {fleet.refused && (
            <p className={styles.status} role="alert" data-testid="fleet-refused">
              This node applies nothing from the fleet: {fleet.refused}
            </p>
          )}
          <dl className={styles.facts}>
            <dt>Store</dt>
            <dd className="mono">{fleet.store}</dd>
            <dt>This node</dt>
            <dd>
              <span className="mono">{fleet.node}</span>, applied revision {fleet.appliedRevision}
            </dd>
            <dt>Convergence</dt>
            <dd data-testid="fleet-converged">{convergedLine(fleet)}</dd>
            <dt>Health checked by</dt>
            <dd data-testid="fleet-checker">
              {fleet.checker === null ? (
                <span className="muted">no node yet (every node keeps the last published state)</span>
              ) : (
                <>
                  <span className="mono">{fleet.checker}</span>
                  {fleet.checker === fleet.node ? ' (this node)' : ''}
                </>
              )}
            </dd>
          </dl>
          <DataTable
            columns={nodeColumns(fleet.revision)}
            rows={fleet.nodes}
            rowKey={(n) => n.node}
            rowProps={(n) => ({ 'data-node': n.node })}
            testId="fleet-nodes"
            compact
            cardsOnPhone
            empty={null}
          />
        </>
      )}
    </section>
  );
}
