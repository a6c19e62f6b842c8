/* A service's backends as CSV: every backend of it, raw values (times as ISO 8601). */
import type { BackendView } from '@sluice/api';
import type { CsvColumn } from '@/client/csv.ts';

const iso = (ms: number | null | undefined) => (ms ? new Date(ms).toISOString() : null);

export const BACKENDS_CSV: CsvColumn<BackendView>[] = [
  { header: 'service', value: (b) => b.service },
  { header: 'backend', value: (b) => b.endpoint },
  { header: 'weight', value: (b) => b.weight },
  { header: 'admin_state', value: (b) => b.state },
  { header: 'health', value: (b) => (b.health === null ? 'no check' : b.health.pending ? 'pending' : b.health.up ? 'up' : 'down') },
  { header: 'last_check', value: (b) => iso(b.health?.lastCheckAt) },
  { header: 'latency_ms', value: (b) => b.health?.lastLatencyMs ?? null },
  { header: 'last_error', value: (b) => b.health?.lastError ?? null },
  { header: 'eligible', value: (b) => b.eligible },
  { header: 'active_connections', value: (b) => b.activeFlows },
  { header: 'drain_deadline', value: (b) => iso(b.drain?.deadline) },
];
