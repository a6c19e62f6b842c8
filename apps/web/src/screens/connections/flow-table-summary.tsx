/*
 * The whole flow table above the filtered page: how full it is (an LRU
 * table that fills evicts its oldest flows) and how many flows are open,
 * closing or closed, as of the agent's snapshot.
 */
import type { FlowTableSummary as Summary } from '@sluice/api';
import { count, duration } from '@/client/format.ts';

export function FlowTableSummary({ table }: { table: Summary }) {
  const { capacity, tracked, byState, snapshotAgeMs } = table;
  if (tracked === null || byState === null) {
    return (
      <p className="flow-table-summary muted" data-testid="flow-table-summary">
        The agent is counting the flow table (holds up to {count(capacity)} flows).
      </p>
    );
  }
  const open = byState.none + byState['syn-sent'] + byState.established;
  const percent = (100 * tracked) / capacity;
  const full = percent > 0 && percent < 0.01 ? '< 0.01' : percent.toFixed(percent < 10 ? 2 : 1);
  return (
    <dl className="flow-table-summary" data-testid="flow-table-summary">
      <div>
        <dt>Tracked</dt>
        <dd data-testid="flows-tracked" data-value={tracked}>
          {count(tracked)} of {count(capacity)} <meter min={0} max={capacity} high={capacity * 0.8} value={tracked} aria-label="Flow table fill" /> {full}% full
        </dd>
      </div>
      <div title="UDP, TCP opening and established">
        <dt>Open</dt>
        <dd data-testid="flows-open" data-value={open}>
          {count(open)}
        </dd>
      </div>
      <div title="TCP after the first FIN">
        <dt>Closing</dt>
        <dd data-testid="flows-closing" data-value={byState['fin-wait']}>
          {count(byState['fin-wait'])}
        </dd>
      </div>
      <div title="TCP after the last FIN or an RST: kept until its timeout, then removed">
        <dt>Closed</dt>
        <dd data-testid="flows-closed" data-value={byState.closed}>
          {count(byState.closed)}
        </dd>
      </div>
      <div>
        <dt>As of</dt>
        <dd data-testid="flows-as-of">{duration(snapshotAgeMs ?? 0)} ago</dd>
      </div>
    </dl>
  );
}
