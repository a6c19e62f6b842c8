/*
 * Each backend's health over the chart's range, as a bar of up and down
 * segments, from the agent's own health.up / health.down audit entries.
 */
'use client';
import type { BackendView } from '@sluice/api';
import type { AuditEntry } from '@/client/charts/chart-events.ts';
import { healthSegments } from '@/client/charts/health-timeline.ts';
import type { TimeRange } from '@/client/charts/time-range.ts';
import { clock, duration } from '@/client/format.ts';

export interface HealthTimelineProps {
  service: string;
  backends: readonly BackendView[];
  /** The service's events of the range (audit.events), oldest first. */
  entries: readonly AuditEntry[];
  range: TimeRange;
  /** The window's end, epoch ms (the newest sample). */
  now: number;
}

export function HealthTimeline({ service, backends, entries, range, now }: HealthTimelineProps) {
  const from = now - range.seconds * 1000;
  const span = range.seconds * 1000;
  return (
    <section className="card" aria-labelledby="health-timeline-title">
      <h2 id="health-timeline-title">Health over the last {range.label}</h2>
      {backends.some((b) => b.health === null) && <p className="muted">Backends of a service without a health check are always up.</p>}
      <div className="health-timeline" data-testid="health-timeline">
        {backends.map((backend) => {
          const target = `${service} ${backend.endpoint}`;
          const transitions = entries.filter((e) => e.target === target && e.action.startsWith('health.'));
          const upNow = backend.health === null ? true : backend.health.pending ? undefined : backend.health.up;
          const segments = healthSegments(transitions, upNow, from, now);
          return (
            <div
              key={backend.endpoint}
              className="health-row"
              style={{ display: 'contents' }}
              data-endpoint={backend.endpoint}
              data-transitions={transitions.length}
            >
              <span className="mono">{backend.endpoint}</span>
              <div className="health-bar" role="img" aria-label={`${backend.endpoint}: ${segments.map((s) => `${s.state} from ${clock(s.from)}`).join(', ')}`}>
                {segments.map((segment) => (
                  <span
                    key={segment.from}
                    data-state={segment.state}
                    style={{ width: `${(100 * (segment.to - segment.from)) / span}%` }}
                    title={`${segment.state} ${clock(segment.from)}–${clock(segment.to)} (${duration(segment.to - segment.from)})${segment.reason ? `: ${segment.reason}` : ''}`}
                  />
                ))}
              </div>
            </div>
          );
        })}
      </div>
      <div className="health-timeline" aria-hidden="true">
        <span />
        <div className="health-axis muted">
          <span>{clock(from)}</span>
          <span>{clock(now)}</span>
        </div>
      </div>
    </section>
  );
}
