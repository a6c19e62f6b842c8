/* sluice conns | stats | health | audit: read-only views. */
import type { BackendErrorTotals, BackendHealth, FlowTableSummary } from '@sluice/api';
import { integer, noMoreThan, parse } from './args.js';
import { connect } from './connection.js';
import { emit, healthWord } from './output.js';
import { formatAge, formatCount, formatTable, formatTime } from './table.js';

export const CONNS_USAGE =
  'sluice conns [--service S] [--backend ADDR:PORT] [--client ADDR] [--protocol tcp|udp] [--state S] [--hide-closed] [--limit N] [--cursor C]';
export const STATS_USAGE = 'sluice stats';
export const HEALTH_USAGE = 'sluice health [SERVICE]';
export const AUDIT_USAGE = 'sluice audit [--limit N] [--actor USER] [--action A] [--target T]';

export async function connsCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(
    argv,
    {
      service: { type: 'string' },
      backend: { type: 'string' },
      client: { type: 'string' },
      protocol: { type: 'string' },
      state: { type: 'string' },
      'hide-closed': { type: 'boolean' },
      limit: { type: 'string' },
      cursor: { type: 'string' },
    },
    'conns',
  );
  noMoreThan(positionals, 0, 'conns');
  const limit = integer('limit', values.limit) ?? 50;
  const page = await (await connect(values)).connections.list.query({
    service: values.service,
    backend: values.backend,
    client: values.client,
    protocol: values.protocol as any,
    state: values.state as any,
    hideClosed: values['hide-closed'],
    limit,
    cursor: values.cursor,
  });
  emit(values.json, page, () => {
    const table = formatTable(
      ['CLIENT', 'SERVICE', 'BACKEND', 'PROTO', 'STATE', 'AGE', 'IDLE', 'PKTS', 'BYTES', 'REPLY PKTS', 'REPLY BYTES'],
      page.items.map((f) => [
        `${f.clientAddress.includes(':') ? `[${f.clientAddress}]` : f.clientAddress}:${f.clientPort}`,
        f.service ?? `#${f.serviceId}`,
        f.backend ?? `#${f.backendId}`,
        f.protocol,
        f.state,
        formatAge(f.ageMs),
        formatAge(f.idleMs),
        formatCount(f.packets),
        formatCount(f.bytes),
        formatCount(f.replyPackets),
        formatCount(f.replyBytes),
      ]),
    );
    const lines = [flowTableLine(page.table), table];
    if (page.nextCursor) lines.push(`more: --cursor ${page.nextCursor}`);
    return lines.join('\n');
  });
}

/** The whole table above the page: how full, and how many flows open, closing and closed. */
function flowTableLine({ capacity, tracked, byState, snapshotAgeMs }: FlowTableSummary): string {
  if (tracked === null || byState === null) return `flow table: counting (capacity ${formatCount(capacity)})`;
  const open = byState.none + byState['syn-sent'] + byState.established;
  const full = ((100 * tracked) / capacity).toFixed(1);
  return (
    `flow table: ${formatCount(tracked)} of ${formatCount(capacity)} (${full}% full): ` +
    `${formatCount(open)} open, ${formatCount(byState['fin-wait'])} closing, ${formatCount(byState.closed)} closed` +
    ` (as of ${formatAge(snapshotAgeMs ?? 0)} ago)`
  );
}

/* A backend's error signals as table cells: a drop reason only when it counted, n/a where its mode cannot observe. */
export function backendErrorCells(errors: BackendErrorTotals): string[] {
  const drops = Object.entries(errors.drops)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${reason}=${formatCount(n)}`)
    .join(' ');
  const observed = (n: number | null) => (n === null ? 'n/a' : formatCount(n));
  return [
    drops || '0',
    observed(errors.resets),
    observed(errors.unansweredSyns),
    observed(errors.incompleteHandshakes),
    errors.healthLatencyMs === null ? '-' : `${errors.healthLatencyMs.toFixed(1)}ms`,
  ];
}

export async function statsCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {}, 'stats');
  noMoreThan(positionals, 0, 'stats');
  const totals = await (await connect(values)).stats.totals.query();
  emit(values.json, totals, () => {
    const row = (name: string, t: (typeof totals.services)[number]) => [
      name,
      formatCount(t.packets),
      formatCount(t.bytes),
      formatCount(t.replyPackets),
      formatCount(t.replyBytes),
      formatCount(t.newFlows),
      formatCount(t.drops),
      t.activeFlows,
    ];
    const headers = ['PACKETS', 'BYTES', 'REPLY PKTS', 'REPLY BYTES', 'NEW FLOWS', 'DROPS', 'ACTIVE'];
    const services = formatTable(
      ['SERVICE', ...headers],
      totals.services.map((s) => row(s.service, s)),
    );
    const backends = formatTable(
      ['SERVICE', 'BACKEND', ...headers],
      totals.backends.map((b) => [b.service, ...row(b.endpoint, b)]),
    );
    const errors = formatTable(
      ['SERVICE', 'BACKEND', 'DROPS BY REASON', 'RESETS', 'SYN NO REPLY', 'HANDSHAKE INCOMPLETE', 'PROBE LATENCY'],
      totals.backends.map((b) => [b.service, b.endpoint, ...backendErrorCells(b.errors)]),
    );
    const global = Object.entries(totals.global)
      .filter(([, n]) => n > 0)
      .map(([name, n]) => `${name}=${n}`)
      .join(' ');
    return `${services}\n\n${backends}\n\nbackend error signals (n/a: not observable in the service's forwarding mode):\n${errors}\n\nglobal: ${global || '(all zero)'}`;
  });
}

export async function healthCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, {}, 'health');
  noMoreThan(positionals, 1, 'health');
  const list = await (await connect(values)).health.list.query(positionals[0] ? { service: positionals[0] } : undefined);
  emit(values.json, list, () => formatHealth(list));
}

/** `sluice health`'s table; in a fleet a CHECKED BY column names the node whose probe each state is (one elected checker). */
export function formatHealth(list: BackendHealth[]): string {
  const checkers = [...new Set(list.flatMap((h) => (h.checkedBy === null ? [] : [h.checkedBy])))];
  const fleet = checkers.length > 0;
  const table = formatTable(
    ['SERVICE', 'BACKEND', 'STATE', 'CHECK', 'HEALTH', 'LAST CHECK', 'LATENCY', 'OK', 'FAIL', ...(fleet ? ['CHECKED BY'] : []), 'ERROR'],
    list.map((h) => [
      h.service,
      h.endpoint,
      h.state,
      h.checkType,
      h.checkType === 'none' ? 'n/a' : healthWord(h),
      formatTime(h.lastCheckAt),
      h.lastLatencyMs === null ? null : `${h.lastLatencyMs.toFixed(1)}ms`,
      h.consecutiveSuccesses,
      h.consecutiveFailures,
      ...(fleet ? [h.checkedBy ?? '-'] : []),
      h.lastError,
    ]),
  );
  return fleet ? `checked by ${checkers.join(', ')} (the fleet's elected checker; every node applies its results)\n${table}` : table;
}

export async function auditCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(
    argv,
    {
      limit: { type: 'string' },
      actor: { type: 'string' },
      action: { type: 'string' },
      target: { type: 'string' },
      cursor: { type: 'string' },
    },
    'audit',
  );
  noMoreThan(positionals, 0, 'audit');
  const limit = integer('limit', values.limit) ?? 20;
  const page = await (await connect(values)).audit.list.query({
    limit,
    actor: values.actor,
    action: values.action,
    target: values.target,
    cursor: values.cursor,
  });
  emit(values.json, page, () =>
    formatTable(
      ['TIME', 'ACTOR', 'ACTION', 'TARGET', 'BEFORE', 'AFTER'],
      page.items.map((e) => [formatTime(e.at), e.actor, e.action, e.target, short(e.before), short(e.after)]),
    ),
  );
}

function short(value: unknown): string {
  if (value === null || value === undefined) return '-';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
