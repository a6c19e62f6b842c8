/*
 * The node as the routers see it (issue 12): the BGP speaker (BIRD) this
 * agent runs, each peer's BGP and BFD session and the routes BIRD exports to
 * it, and per VIP whether it is announced and, if not, why. With BGP off the
 * agent announces nothing and the page says so.
 */
'use client';
import type { BgpPeerStatus, NodeStatus, ServiceView } from '@sluice/api';
import { ago, clock } from '@/client/format.ts';
import { type Column, DataTable } from '@/components/ui/data-table.tsx';
import { EmptyState } from '@/components/ui/states.tsx';
import styles from './node.module.css';

type Bgp = NonNullable<NodeStatus['bgp']>;

const since = (at: number | null) => (at === null ? '—' : `${clock(at)} (${ago(at)})`);

const PEER_COLUMNS: Column<BgpPeerStatus>[] = [
  { header: 'Peer', rowHeader: true, cellClassName: 'mono', cell: (p) => p.address },
  { header: 'AS', className: 'num', cell: (p) => p.as },
  {
    header: 'BGP',
    cell: (p) => <span className={`badge ${p.established ? 'badge-up' : 'badge-down'}`}>{p.state}</span>,
    cellProps: (p) => ({ 'data-testid': 'peer-bgp', 'data-state': p.state }),
  },
  { header: 'Since', cell: (p) => since(p.since) },
  {
    header: 'BFD',
    cell: (p) =>
      p.bfd ? (
        <>
          <span className={`badge ${p.bfd.up ? 'badge-up' : 'badge-down'}`}>{p.bfd.state}</span> <span className="muted small">{since(p.bfd.since)}</span>
        </>
      ) : (
        <span className="badge badge-muted">off</span>
      ),
    cellProps: (p) => ({ 'data-testid': 'peer-bfd', 'data-state': p.bfd?.state ?? 'off' }),
  },
  {
    header: 'Routes announced',
    cellClassName: 'mono',
    cell: (p) => (p.routes.length ? p.routes.join(', ') : <span className="muted">none</span>),
    cellProps: (p) => ({ 'data-testid': 'peer-routes', 'data-routes': p.routes.join(' ') }),
  },
  { header: 'Last error', cell: (p) => p.lastError ?? <span className="muted">—</span> },
];

interface Vip {
  address: string;
  prefix: string;
  services: ServiceView[];
  announced: boolean;
  why: string | null;
}

/** Each VIP of the services, announced or not, and why not in the agent's words where it gave them. */
function vipsOf(services: ServiceView[], bgp: Bgp): Vip[] {
  const byAddress = new Map<string, ServiceView[]>();
  for (const s of services) byAddress.set(s.address, [...(byAddress.get(s.address) ?? []), s]);
  return [...byAddress].map(([address, list]) => {
    const prefix = `${address}/${address.includes(':') ? 128 : 32}`;
    const announced = bgp.announced.includes(prefix);
    let why: string | null = null;
    if (!announced)
      why = bgp.withheld
        ? bgp.withheld
        : list.every((s) => s.eligibleBackends === 0)
          ? 'no service on it has an eligible backend'
          : 'BIRD has not exported it yet (each peer must be Established)';
    return { address, prefix, services: list, announced, why };
  });
}

const VIP_COLUMNS: Column<Vip>[] = [
  { header: 'VIP', rowHeader: true, cellClassName: 'mono', cell: (v) => v.prefix },
  { header: 'Services', cellClassName: 'mono', cell: (v) => v.services.map((s) => s.name).join(', ') },
  {
    header: 'Announced',
    cell: (v) => <span className={`badge ${v.announced ? 'badge-up' : 'badge-muted'}`}>{v.announced ? 'ANNOUNCED' : 'WITHHELD'}</span>,
    cellProps: (v) => ({ 'data-testid': 'vip-announced', 'data-announced': v.announced }),
  },
  { header: 'Why not', cell: (v) => v.why ?? <span className="muted">—</span> },
];

export function AnnouncementPanel({ status, services }: { status: NodeStatus; services: ServiceView[] }) {
  const bgp = status.bgp;
  if (!bgp)
    return (
      <section className="card" aria-labelledby="bgp-title" data-testid="bgp-panel" data-bgp="off">
        <h2 id="bgp-title">
          Announcement <span className="badge badge-muted">BGP OFF</span>
        </h2>
        <p className={styles.explain}>
          This agent runs without <code>--bgp-config</code>; it announces nothing. Routers reach the VIPs however the network routes them to this host, and node
          drain has nothing to withdraw. To run several nodes behind ECMP, start each agent with <code>--bgp-config FILE</code> (README, "Running several
          nodes").
        </p>
      </section>
    );
  return (
    <section className="card" aria-labelledby="bgp-title" data-testid="bgp-panel" data-bgp="on">
      <h2 id="bgp-title">
        Announcement{' '}
        <span className={`badge ${bgp.running ? 'badge-up' : 'badge-down'}`} data-testid="bird-state">
          {bgp.running ? 'BIRD RUNNING' : 'BIRD NOT RUNNING'}
        </span>
      </h2>
      <dl className={styles.facts}>
        <dt>Speaker</dt>
        <dd data-testid="speaker">
          BIRD {bgp.running ? `pid ${bgp.pid}, since ${since(bgp.startedAt)}` : 'not running'}; restarts {bgp.restarts}
        </dd>
        <dt>Local AS, router id</dt>
        <dd className="mono">
          {bgp.localAs}, {bgp.routerId}
        </dd>
        <dt>Announced</dt>
        <dd className="mono" data-testid="announced">
          {bgp.announced.length ? bgp.announced.join(', ') : 'nothing'}
        </dd>
        <dt>Withheld</dt>
        <dd data-testid="withheld">{bgp.withheld ?? <span className="muted">nothing as a whole; each VIP is judged on its own (below)</span>}</dd>
        {bgp.error && (
          <>
            <dt>Error</dt>
            <dd className="text-bad">{bgp.error}</dd>
          </>
        )}
        <dt>Read from BIRD</dt>
        <dd className="muted">{bgp.readAt === null ? 'not yet' : ago(bgp.readAt)}</dd>
      </dl>
      <h3>Peers</h3>
      <DataTable
        compact
        cardsOnPhone
        testId="peers"
        columns={PEER_COLUMNS}
        rows={bgp.peers}
        rowKey={(p) => p.address}
        rowProps={(p) => ({ 'data-peer': p.address })}
        empty={<EmptyState title="No peers configured" />}
      />
      <h3>VIPs</h3>
      <DataTable
        compact
        cardsOnPhone
        testId="vips"
        columns={VIP_COLUMNS}
        rows={vipsOf(services, bgp)}
        rowKey={(v) => v.address}
        rowProps={(v) => ({ 'data-vip': v.prefix })}
        empty={<EmptyState title="No services: nothing to announce" />}
      />
    </section>
  );
}
