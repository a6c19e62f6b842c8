/* The events marked on the charts, newest first, in words: when, what, and who (an operator or the agent itself). */
'use client';
import type { ChartEvent } from '@/client/charts/chart-events.ts';
import { clock } from '@/client/format.ts';
import { markerColor } from './series-colors.ts';

export function EventList({ events, truncated, rangeLabel }: { events: readonly ChartEvent[]; truncated: boolean; rangeLabel: string }) {
  return (
    <section className="card" aria-labelledby="chart-events-title">
      <h2 id="chart-events-title">Events in the last {rangeLabel}</h2>
      {events.length === 0 ? (
        <p className="muted">No health changes, operator changes or agent restarts in this range.</p>
      ) : (
        <ol className="event-list" data-testid="chart-events" reversed>
          {[...events].reverse().map((event) => (
            <li key={event.id} data-action={event.action} data-kind={event.kind} data-endpoint={event.endpoint ?? ''}>
              <span className="event-swatch" style={{ background: markerColor(event.kind) }} aria-hidden="true" />
              <time dateTime={new Date(event.at).toISOString()}>{clock(event.at)}</time> <span>{event.label}</span>{' '}
              <span className="muted">by {event.actor}</span>
            </li>
          ))}
        </ol>
      )}
      {truncated && <p className="muted">Only the newest events of this range are shown.</p>}
    </section>
  );
}
