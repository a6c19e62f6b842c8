/*
 * Audit entries as chart events: a short label an operator reads on the
 * marker and in the list ("198.19.1.2:8080 down: connection refused",
 * "weight 1 → 3"), a kind that picks the marker's colour, and the backend
 * it is about (for the health timeline).
 */
import type { AuditEntry as ContractEntry } from '@sluice/api';

/* As the client receives it: zod's output type makes the unknown before/after optional. */
export type AuditEntry = Omit<ContractEntry, 'before' | 'after'> & { before?: unknown; after?: unknown };

export type ChartEventKind = 'health-down' | 'health-up' | 'operator' | 'node';

export interface ChartEvent {
  id: number;
  at: number;
  kind: ChartEventKind;
  action: string;
  label: string;
  /** Who: a user, a token, or the agent itself (its health and start entries). */
  actor: string;
  /** The backend the entry is about, when it is about one. */
  endpoint: string | null;
}

type Fields = Record<string, unknown> | null;
const fields = (value: unknown): Fields => (value && typeof value === 'object' ? (value as Record<string, unknown>) : null);

/* Targets are "SERVICE" or "SERVICE ENDPOINT" (audit.types.ts); a service name has no space. */
const endpointOf = (target: string): string | null => {
  const space = target.indexOf(' ');
  return space < 0 ? null : target.slice(space + 1);
};

function change(before: Fields, after: Fields, field: string, name: string): string | null {
  const was = before?.[field];
  const now = after?.[field];
  if (now === undefined || JSON.stringify(was) === JSON.stringify(now)) return null;
  return was === undefined ? `${name} ${String(now)}` : `${name} ${String(was)} → ${String(now)}`;
}

function labelOf(entry: AuditEntry, endpoint: string | null): string {
  const before = fields(entry.before);
  const after = fields(entry.after);
  const who = endpoint ?? entry.target;
  switch (entry.action) {
    case 'health.down':
      return `${who} down${after?.reason ? `: ${String(after.reason)}` : ''}`;
    case 'health.up':
      return `${who} up`;
    case 'backend.setWeight':
      return `${who} ${change(before, after, 'weight', 'weight') ?? 'weight unchanged'}`;
    case 'backend.setState':
      return `${who} ${after?.state === 'drain' ? 'drain' : (change(before, after, 'state', 'state') ?? 'state set')}`;
    case 'backend.drainExpired':
      return `${who} drain timed out`;
    case 'backend.add':
      return `${who} added`;
    case 'backend.remove':
      return `${who} removed`;
    case 'backend.update':
      return `${who} updated`;
    case 'service.create':
      return `service ${entry.target} created`;
    case 'service.delete':
      return `service ${entry.target} deleted`;
    case 'service.update': {
      const changes = ['algorithm', 'mode', 'clientRate'].map((field) => change(before, after, field, field)).filter((c) => c !== null);
      if (JSON.stringify(before?.healthCheck) !== JSON.stringify(after?.healthCheck)) changes.push('health check changed');
      return changes.length ? changes.join(', ') : 'service settings saved';
    }
    case 'agent.start':
      return `agent started${after?.version ? ` (${String(after.version)})` : ''}`;
    case 'config.import':
      return 'configuration imported';
    case 'node.drain':
      return 'node draining';
    case 'node.resume':
      return 'node resumed';
    case 'node.role':
      return `VRRP ${String(after?.role ?? '?').toUpperCase()}${before?.role ? ` (was ${String(before.role)})` : ''}`;
    default:
      return `${entry.action} ${entry.target}`;
  }
}

function kindOf(action: string): ChartEventKind {
  if (action === 'health.down') return 'health-down';
  if (action === 'health.up') return 'health-up';
  if (action === 'agent.start' || action === 'config.import' || action.startsWith('node.')) return 'node';
  return 'operator';
}

export function chartEventOf(entry: AuditEntry): ChartEvent {
  const endpoint = entry.action.startsWith('backend.') || entry.action.startsWith('health.') ? endpointOf(entry.target) : null;
  return { id: entry.id, at: entry.at, kind: kindOf(entry.action), action: entry.action, label: labelOf(entry, endpoint), actor: entry.actor, endpoint };
}
