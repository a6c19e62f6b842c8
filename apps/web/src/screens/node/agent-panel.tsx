/*
 * The node panel (issue 15): the agent and its data plane as agent.info
 * reports them, the same facts `sluice node status` prints first. Each
 * interface's XDP mode is what the kernel says now, so a program detached
 * behind the agent's back shows here.
 */
'use client';
import type { AgentInfo } from '@sluice/api';
import { clock, count, duration, percent } from '@/client/format.ts';
import styles from './node.module.css';

function InterfaceMode({ attachment }: { attachment: AgentInfo['attachments'][number] }) {
  if (attachment.attached) return <span className="badge badge-up">{attachment.xdpMode === 'native' ? 'native XDP' : 'skb (generic) XDP'}</span>;
  if (attachment.programId === null) return <span className="badge badge-down">not attached</span>;
  return (
    <span className="badge badge-down">
      another program (id {attachment.programId}, {attachment.xdpMode})
    </span>
  );
}

function FlowTable({ table }: { table: AgentInfo['flowTable'] }) {
  if (table.tracked === null) return <>{count(table.capacity)} entries; not counted yet (the first sweep comes within seconds)</>;
  const fill = table.tracked / table.capacity;
  return (
    <span className={styles.meter}>
      <progress max={1} value={fill} aria-label={`Flow table ${percent(fill)} full`} />
      <span data-testid="flow-table">
        {count(table.tracked)} of {count(table.capacity)} entries ({percent(fill)} full)
      </span>
    </span>
  );
}

export function AgentPanel({ info }: { info: AgentInfo }) {
  return (
    <section className="card" aria-labelledby="agent-title" data-testid="agent-panel">
      <h2 id="agent-title">Agent and data plane</h2>
      <dl className={styles.facts}>
        <dt>Agent version</dt>
        <dd data-testid="agent-version">{info.version}</dd>
        <dt>Uptime</dt>
        <dd data-testid="agent-uptime" title={`since ${new Date(info.startedAt).toISOString()}`}>
          {duration(info.uptimeMs)} (since {clock(info.startedAt)}, pid {info.pid})
        </dd>
        <dt>Data-plane build</dt>
        <dd>
          <code data-testid="build-id" title={info.dataplane.buildId}>
            {info.dataplane.buildId.slice(0, 12)}
          </code>{' '}
          <span className="muted">
            sha256 of <code>{info.dataplane.objectPath}</code> at load, program id <span data-testid="program-id">{info.dataplane.programId}</span>
          </span>
        </dd>
        <dt>Interfaces</dt>
        <dd>
          {info.attachments.length === 0 ? (
            <span className="muted">none (the data plane is attached nowhere)</span>
          ) : (
            <ul className={styles.list} data-testid="interfaces">
              {info.attachments.map((a) => (
                <li key={a.name} data-interface={a.name} data-xdp-mode={a.xdpMode ?? 'none'}>
                  <code>{a.name}</code> <InterfaceMode attachment={a} />
                </li>
              ))}
            </ul>
          )}
        </dd>
        <dt>Flow table</dt>
        <dd>
          <FlowTable table={info.flowTable} />
        </dd>
        <dt>Pin directory</dt>
        <dd>
          <code data-testid="pin-dir">{info.pinDir}</code>
        </dd>
        <dt>Adopted on start</dt>
        <dd data-testid="adopted-maps">
          {info.adoptedMaps === 0 ? (
            'none: a fresh start, no pinned maps were there'
          ) : (
            <>
              {info.adoptedMaps} pinned maps, flows and counters kept: <span className="muted">{info.adoptedMapNames.join(', ')}</span>
            </>
          )}
        </dd>
      </dl>
    </section>
  );
}
