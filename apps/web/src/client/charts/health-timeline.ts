/*
 * A backend's health over a time range, as segments, from the agent's
 * health.up / health.down entries (audit.events) and its health now. The
 * state before the first transition in the range is the one that
 * transition left ("before"), or else its opposite; with no transition in
 * the range, the backend was as it is now the whole time.
 */
import type { AuditEntry } from './chart-events.ts';

export type HealthState = 'up' | 'down' | 'unknown';

export interface HealthSegment {
  from: number;
  to: number;
  state: HealthState;
  /** Why it went down (the check's error), for a down segment that started in the range. */
  reason: string | null;
}

const upOf = (value: unknown): boolean | undefined => {
  const up = value && typeof value === 'object' ? (value as { up?: unknown }).up : undefined;
  return typeof up === 'boolean' ? up : undefined;
};

/** `transitions`: this backend's health.* entries, oldest first. `upNow`: undefined when not known (no check yet). */
export function healthSegments(transitions: readonly AuditEntry[], upNow: boolean | undefined, from: number, to: number): HealthSegment[] {
  const inRange = transitions.filter((e) => e.at >= from && e.at <= to && e.action.startsWith('health.'));
  const stateOf = (up: boolean | undefined): HealthState => (up === undefined ? 'unknown' : up ? 'up' : 'down');
  if (inRange.length === 0) return [{ from, to, state: stateOf(upNow), reason: null }];
  const first = inRange[0]!;
  const firstUp = upOf(first.after);
  const segments: HealthSegment[] = [];
  const initial = upOf(first.before) ?? (firstUp === undefined ? undefined : !firstUp);
  if (first.at > from) segments.push({ from, to: first.at, state: stateOf(initial), reason: null });
  inRange.forEach((entry, i) => {
    const up = upOf(entry.after);
    const reason = up === false ? String((entry.after as { reason?: unknown }).reason ?? '') || null : null;
    segments.push({ from: entry.at, to: inRange[i + 1]?.at ?? to, state: stateOf(up), reason });
  });
  return segments.filter((s) => s.to > s.from || segments.length === 1);
}
